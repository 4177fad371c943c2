"""Chart archive extraction guards: links, escapes, size (CVE-2023-40584 class)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from kaiun.repo import ManifestTooLargeError, PathEscapeError
from kaiun.repo.helmrepo import safe_extract_chart


def _archive(tmp_path: Path, entries: list[tarfile.TarInfo], data: bytes = b"x") -> Path:
    path = tmp_path / "c.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for info in entries:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def _file(name: str, size: int = 1) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    return info


def _link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


@pytest.mark.parametrize(
    "entry",
    [_file("../evil.yaml"), _file("/etc/evil"), _link("c/templates/x.yaml", "/etc/passwd")],
)
def test_escaping_entries_are_refused(tmp_path: Path, entry: tarfile.TarInfo) -> None:
    archive = _archive(tmp_path, [_file("c/Chart.yaml"), entry])
    with pytest.raises(PathEscapeError):
        safe_extract_chart(archive, tmp_path / "out", max_bytes=10**6)
    assert not (tmp_path / "evil.yaml").exists()


def test_unpacked_size_is_capped(tmp_path: Path) -> None:
    big = b"a" * 4096
    path = tmp_path / "c.tgz"
    with tarfile.open(path, "w:gz") as tar:
        info = _file("c/big.yaml", len(big))
        tar.addfile(info, io.BytesIO(big))
    with pytest.raises(ManifestTooLargeError, match="more than 1000 bytes"):
        safe_extract_chart(path, tmp_path / "out", max_bytes=1000)
