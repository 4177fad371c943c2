"""Commit messages and write-branch names from Go templates."""

from __future__ import annotations

import pytest

from kaiun.controllers.imageupdater import gitmessages as gm
from kaiun.controllers.imageupdater.errors import ConfigError

CHANGES = [gm.ImageChange("ghcr.io/org/api", "1.0.0", "1.1.0", "api")]


def test_default_commit_message() -> None:
    assert gm.commit_message("shop", CHANGES) == (
        "build: automatic update of shop\n\nupdates image ghcr.io/org/api tag '1.0.0' to '1.1.0'\n"
    )


def test_custom_commit_message() -> None:
    template = (
        "{{ range .AppChanges }}Updating {{ .Image }} from {{ .OldTag }} to {{ .NewTag }}{{ end }}"
    )
    assert gm.commit_message("shop", CHANGES, template) == (
        "Updating ghcr.io/org/api from 1.0.0 to 1.1.0"
    )


def test_write_branch_is_stable_per_change() -> None:
    template = "image-updater-{{ .AppName }}-{{ .SHA256 | trunc 8 }}"
    first = gm.write_branch(template, "shop", CHANGES)
    assert first == gm.write_branch(template, "shop", list(CHANGES))
    assert first.startswith("image-updater-shop-") and len(first) == len("image-updater-shop-") + 8
    other = [gm.ImageChange("ghcr.io/org/api", "1.0.0", "1.2.0")]
    assert gm.write_branch(template, "shop", other) != first
    ranged = "{{ range .Images }}{{ .Alias }}-{{ .NewTag }}{{ end }}"
    assert gm.write_branch(ranged, "shop", CHANGES) == "api-1.1.0"
    assert len(gm.write_branch("x{{ .SHA256 }}" * 5, "shop", CHANGES)) == gm.MAX_BRANCH


def test_template_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="git-branch template"):
        gm.write_branch("{{ .AppName", "shop", CHANGES)
    with pytest.raises(ConfigError, match="empty branch name"):
        gm.write_branch("{{ if false }}x{{ end }}", "shop", CHANGES)
