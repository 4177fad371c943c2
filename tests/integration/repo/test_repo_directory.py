"""Directory sources: YAML/JSON/multi-doc, recurse, include/exclude, jsonnet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kaiun.repo import (
    MalformedManifestError,
    ManifestResponse,
    ManifestTooLargeError,
    RenderSettings,
)
from tests.integration.repo.repo_testkit import GitRepo, cm, names

Render = Callable[..., ManifestResponse]


@pytest.fixture
def tree(git_repo: GitRepo) -> GitRepo:
    git_repo.commit(
        {
            "app/a.yaml": cm("a") + "---\n" + cm("a2") + "---\n",
            "app/b.json": '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}',
            "app/list.yml": "apiVersion: v1\nkind: List\nitems:\n- "
            + cm("l1").replace("\n", "\n  "),
            "app/README.md": "not a manifest",
            "app/sub/c.yaml": cm("c"),
            "app/sub/deeper/d.yaml": cm("d"),
            "app/.hidden/h.yaml": cm("h"),
            "app/skip/e.yaml": cm("e"),
        }
    )
    return git_repo


def test_plain_directory_reads_yaml_json_and_lists(tree: GitRepo, render: Render) -> None:
    resp = render({"repoURL": tree.url, "path": "app", "targetRevision": "main"})
    assert resp.source_type == "Directory"
    assert names(resp) == ["ConfigMap/a", "ConfigMap/a2", "ConfigMap/b", "ConfigMap/l1"]
    assert resp.revision == tree.git("rev-parse", "HEAD")


def test_recurse_skips_hidden_directories(tree: GitRepo, render: Render) -> None:
    resp = render({"repoURL": tree.url, "path": "app", "directory": {"recurse": True}})
    assert sorted(names(resp)) == [f"ConfigMap/{n}" for n in ("a", "a2", "b", "c", "d", "e", "l1")]


@pytest.mark.parametrize(
    ("directory", "expected"),
    [
        ({"recurse": True, "include": "sub/*"}, ["c", "d"]),
        ({"recurse": True, "include": "{a.yaml,b.json}"}, ["a", "a2", "b"]),
        ({"recurse": True, "exclude": "{skip/*,sub/deeper/*}"}, ["a", "a2", "b", "c", "l1"]),
        ({"recurse": True, "include": "*.yaml", "exclude": "sub/*"}, ["a", "a2", "e"]),
    ],
)
def test_include_exclude_globs(
    tree: GitRepo, render: Render, directory: dict[str, Any], expected: list[str]
) -> None:
    resp = render({"repoURL": tree.url, "path": "app", "directory": directory})
    assert sorted(names(resp)) == [f"ConfigMap/{n}" for n in expected]


def test_malformed_yaml_names_file_and_line(git_repo: GitRepo, render: Render) -> None:
    git_repo.commit({"app/ok.yaml": cm("ok"), "app/bad.yaml": cm("x") + "data:\n  a: [1, 2\n"})
    with pytest.raises(MalformedManifestError) as err:
        render({"repoURL": git_repo.url, "path": "app"})
    assert err.value.file == "app/bad.yaml"
    assert err.value.line is not None and err.value.line >= 6
    assert "app/bad.yaml:" in str(err.value)


def test_object_without_kind_is_refused(git_repo: GitRepo, render: Render) -> None:
    git_repo.commit({"app/x.yaml": "foo: bar\n"})
    with pytest.raises(MalformedManifestError, match=r"app/x\.yaml:1: object has no"):
        render({"repoURL": git_repo.url, "path": "app"})


def test_combined_size_cap(git_repo: GitRepo, render: Render) -> None:
    git_repo.commit({"app/big.yaml": cm("big", blob="x" * 5000), "app/a.yaml": cm("a")})
    settings = RenderSettings(max_combined_manifest_bytes=4096)
    with pytest.raises(ManifestTooLargeError, match="combined size limit of 4096 bytes"):
        render({"repoURL": git_repo.url, "path": "app"}, settings=settings)


def test_jsonnet_ext_vars_tlas_and_libs(git_repo: GitRepo, render: Render) -> None:
    git_repo.commit(
        {
            "lib/k.libsonnet": "{ cm(name, v):: {apiVersion: 'v1', kind: 'ConfigMap', "
            "metadata: {name: name}, data: {v: v}} }",
            "app/main.jsonnet": "local k = import 'k.libsonnet';\n"
            "function(replicas=1) [k.cm(std.extVar('env'), std.toString(replicas)),"
            " k.cm('code', std.toString(std.extVar('n') + 1))]",
        }
    )
    resp = render(
        {
            "repoURL": git_repo.url,
            "path": "app",
            "directory": {
                "jsonnet": {
                    "extVars": [
                        {"name": "env", "value": "prod"},
                        {"name": "n", "value": "41", "code": True},
                    ],
                    "tlas": [{"name": "replicas", "value": "3", "code": True}],
                    "libs": ["lib"],
                }
            },
        }
    )
    assert names(resp) == ["ConfigMap/prod", "ConfigMap/code"]
    assert resp.manifests[0]["data"] == {"v": "3"}
    assert resp.manifests[1]["data"] == {"v": "42"}


def test_disable_extension_filter_reads_every_file(git_repo: GitRepo, render: Render) -> None:
    git_repo.commit({"app/a.yaml": cm("a"), "app/manifest.txt": cm("txt")})
    source = {"repoURL": git_repo.url, "path": "app"}
    assert names(render(source)) == ["ConfigMap/a"]
    every = render({**source, "directory": {"disableExtensionFilter": True}})
    assert names(every) == ["ConfigMap/a", "ConfigMap/txt"]


def test_hidden_directories_only_with_include_hidden_directories(
    tree: GitRepo, render: Render
) -> None:
    """``reposerver.include.hidden.directories``: recursion enters ``.hidden/`` only when set."""
    source = {"repoURL": tree.url, "path": "app", "directory": {"recurse": True}}
    assert "ConfigMap/h" not in names(render(source))
    hidden = render(source, settings=RenderSettings(include_hidden_directories=True))
    assert "ConfigMap/h" in names(hidden)
