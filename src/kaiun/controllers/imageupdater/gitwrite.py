"""``write-back-method: git``: clone, edit, commit and push the application's source (IO).

Clones the repository (``git-repository`` or the source's ``repoURL``) at the base branch
(``git-branch``, else the source's ``targetRevision``, else the default branch), edits
``.argocd-source-<app>.yaml`` or the ``write-back-target`` file with :mod:`argocdwriteback` /
:mod:`filewriteback` (formatting kept), commits with the configured author and message
template and pushes to the base branch or the rendered write branch; with a pull-request
provider it then opens a pull request from the write branch. Credentials reach git only
through its environment and private files (:func:`kaiun.repo.gitauth.git_environment`).
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from kaiun.controllers.imageupdater import argocdwriteback as awb
from kaiun.controllers.imageupdater import filewriteback, gitmessages, pullrequest
from kaiun.controllers.imageupdater.argocdwriteback import Change
from kaiun.controllers.imageupdater.errors import ImageUpdaterError
from kaiun.controllers.imageupdater.model import WriteBack
from kaiun.controllers.imageupdater.updateplan import Decision
from kaiun.repo.credentials import RepoCredential
from kaiun.repo.gitauth import git_environment

DEFAULT_USER = "argocd-image-updater"
DEFAULT_EMAIL = "noreply@argoproj.io"
DEFAULT_PR_BRANCH = "image-updater-{{.AppName}}-{{.SHA256 | trunc 8}}"


class GitWriteError(ImageUpdaterError):
    """Cloning, committing or pushing the write-back failed."""


@dataclass(frozen=True)
class GitSettings:
    """``git.user``, ``git.email``, ``git.commit-message-template`` and the pull-request
    options."""

    user: str = DEFAULT_USER
    email: str = DEFAULT_EMAIL
    message_template: str = ""
    pull_request: str = ""
    pull_request_api: str = ""


@dataclass(frozen=True)
class Target:
    """The source the write-back edits."""

    repo_url: str
    path: str
    revision: str
    kind: str


def target_source(app: dict[str, Any], wb: WriteBack) -> Target:
    """The source to write to: the Application's one Helm or Kustomize source."""
    spec = app.get("spec") or {}
    kind = ""
    if spec.get("sources"):
        kinds = [(i, awb.source_type(app, i)) for i in range(len(spec["sources"]))]
        usable = [(i, k) for i, k in kinds if k]
        if len(usable) != 1:
            raise GitWriteError("git write-back needs exactly one Helm or Kustomize source")
        source, kind = spec["sources"][usable[0][0]], usable[0][1] or ""
    else:
        source, kind = spec.get("source") or {}, awb.source_type(app) or ""
    revision = str(source.get("targetRevision") or "")
    if revision == "HEAD":
        revision = ""
    return Target(
        wb.git_repository or str(source.get("repoURL") or ""),
        str(source.get("path") or "."),
        wb.base_branch or revision,
        kind,
    )


def _image_changes(decisions: Sequence[Decision]) -> list[gitmessages.ImageChange]:
    return [
        gitmessages.ImageChange(
            d.spec.image.name, d.current.tag if d.current else "", d.change.pinned, d.spec.alias
        )
        for d in decisions
        if d.change is not None
    ]


def _file_path(source_path: str, given: str, default_name: str) -> str:
    # A leading "/" is from the repository root; otherwise relative to the source path.
    if given.startswith("/"):
        path = given.lstrip("/")
    else:
        path = posixpath.join(source_path, given) if given else source_path
    if not path.endswith((".yaml", ".yml")):
        path = posixpath.join(path, default_name)
    return posixpath.normpath(path)


def edit(
    workdir: Path, app: dict[str, Any], wb: WriteBack, target: Target, changes: Sequence[Change],
    control_namespace: str,
) -> tuple[str, str]:  # fmt: skip
    """Apply ``changes`` to the checkout; the file changed and a sentence saying where."""
    meta = app.get("metadata") or {}
    if wb.target_kind == "kustomization":
        rel = _file_path(target.path, wb.target_path, "kustomization.yaml")
        text = _read(workdir / rel, required=True)
        where = ", ".join(_kustomize_where(text, c) for c in changes)
        _write(workdir / rel, filewriteback.set_kustomization_images(text, changes))
        return rel, f"{rel} {where}"
    if wb.target_kind == "helmvalues":
        rel = _file_path(target.path, wb.target_path, "values.yaml")
        text = _read(workdir / rel, required=False)
        _write(workdir / rel, filewriteback.set_helm_values(text, changes))
        keys = [p["name"] for c in changes for p in awb.helm_parameters(c)]
        return rel, f"{rel} values {', '.join(keys)}"
    name = awb.source_file_name(
        str(meta.get("name", "")), str(meta.get("namespace", "")), control_namespace
    )
    rel = posixpath.normpath(posixpath.join(target.path, name))
    text = _read(workdir / rel, required=False)
    _write(workdir / rel, awb.source_file(text or None, target.kind, changes))
    return rel, f"{rel} ({target.kind} overrides)"


def _kustomize_where(text: str, change: Change) -> str:
    doc = yaml.safe_load(text) or {}
    found = awb.kustomize_target(change.spec, list(doc.get("images") or []))
    return f"images[{found.name}] (the override that wins: {found.where})"


def _read(path: Path, *, required: bool) -> str:
    if not path.is_file():
        if required:
            raise GitWriteError(f"write-back-target file {path.name} does not exist in the repo")
        return ""
    return path.read_text(encoding="utf-8")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


class _Git:
    """Runs git with credentials in the environment only."""

    def __init__(self, cred: RepoCredential | None, url: str, scratch: Path) -> None:
        secrets = scratch / "secrets"
        secrets.mkdir(mode=0o700)
        (scratch / "tools").mkdir(mode=0o700)
        self.env = git_environment(
            dict(os.environ), cred, tools_dir=scratch / "tools", secrets_dir=secrets, url=url
        )

    async def __call__(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
                       ) -> str:  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            "git", *args, cwd=cwd, env={**self.env, **(env or {})},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        if proc.returncode != 0:
            message = err.decode(errors="replace").strip().splitlines()
            raise GitWriteError(f"git {args[0]} failed: {' '.join(message[-3:])[:500]}")
        return out.decode(errors="replace")


async def write(
    app: dict[str, Any],
    wb: WriteBack,
    decisions: Sequence[Decision],
    *,
    settings: GitSettings,
    credential: RepoCredential | None,
    control_namespace: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    """Commit and push the decisions' changes; the record's ``writeBack`` entry."""
    changes = [d.change for d in decisions if d.change is not None]
    target = target_source(app, wb)
    if not target.repo_url:
        raise GitWriteError("the application has no repoURL to write back to")
    scratch = Path(tempfile.mkdtemp(prefix="kaiun-iu-"))
    try:
        git = _Git(credential, target.repo_url, scratch)
        work = scratch / "repo"
        clone = ["clone", "--quiet", "--single-branch", "--no-tags"]
        if target.revision:
            clone += ["--branch", target.revision]
        await git(*clone, target.repo_url, str(work))
        base = target.revision or (await git("rev-parse", "--abbrev-ref", "HEAD", cwd=work)).strip()
        rel, where = edit(work, app, wb, target, changes, control_namespace)
        if not (await git("status", "--porcelain", "--", rel, cwd=work)).strip():
            return {"method": "git", "where": where, "branch": base, "note": "already written"}
        return await _commit_push(git, work, app, wb, decisions, settings, credential, rel,
                                  where, base, target, transport)  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


async def _commit_push(
    git: _Git, work: Path, app: dict[str, Any], wb: WriteBack, decisions: Sequence[Decision],
    settings: GitSettings, credential: RepoCredential | None, rel: str, where: str, base: str,
    target: Target, transport: httpx.AsyncBaseTransport | None,
) -> dict[str, Any]:  # fmt: skip
    app_name = str((app.get("metadata") or {}).get("name", ""))
    image_changes = _image_changes(decisions)
    message = gitmessages.commit_message(app_name, image_changes, settings.message_template)
    branch_template = wb.target_branch or (DEFAULT_PR_BRANCH if settings.pull_request else "")
    branch = gitmessages.write_branch(branch_template, app_name, image_changes) if (
        branch_template) else base  # fmt: skip
    author = {
        "GIT_AUTHOR_NAME": settings.user, "GIT_AUTHOR_EMAIL": settings.email,
        "GIT_COMMITTER_NAME": settings.user, "GIT_COMMITTER_EMAIL": settings.email,
    }  # fmt: skip
    await git("add", "--", rel, cwd=work)
    await git("commit", "--quiet", "-m", message, cwd=work, env=author)
    sha = (await git("rev-parse", "HEAD", cwd=work)).strip()
    push = ["push", "--quiet", "origin", f"HEAD:refs/heads/{branch}"]
    if branch != base:
        push.insert(1, "--force")  # the write branch is ours: the same update, same branch
    await git(*push, cwd=work)
    result: dict[str, Any] = {"method": "git", "where": where, "branch": branch, "commit": sha}
    if settings.pull_request and branch != base:
        token = credential.password or credential.bearer_token if credential else ""
        pr = await pullrequest.open_pull_request(
            settings.pull_request,
            settings.pull_request_api or pullrequest.default_api(settings.pull_request,
                                                                 target.repo_url),
            target.repo_url, token=token, head=branch, base=base,
            title=message.splitlines()[0], body=message, transport=transport,
        )  # fmt: skip
        result["pullRequest"] = pr.url
    return result
