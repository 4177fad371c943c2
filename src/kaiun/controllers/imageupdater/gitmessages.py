"""Commit messages and write branch names for git write-back (pure).

The commit message is a Go template (``git.commit-message-template`` in
``argocd-image-updater-config``) over ``.AppName`` and ``.AppChanges`` (each ``.Image``,
``.OldTag``, ``.NewTag``). The write branch of ``git-branch: base:target`` is a Go template over
``.AppName``, ``.Images`` (each ``.Name``, ``.Alias``, ``.OldTag``, ``.NewTag``) and ``.SHA256``
— a digest of the changes, so the same update always goes to the same branch and a different
one never does. Branch names are cut to Git's practical limit of 255 characters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from kaiun import templating
from kaiun.controllers.imageupdater.errors import ConfigError

DEFAULT_COMMIT_TEMPLATE = """build: automatic update of {{ .AppName }}

{{ range .AppChanges -}}
updates image {{ .Image }} tag '{{ .OldTag }}' to '{{ .NewTag }}'
{{ end -}}
"""
MAX_BRANCH = 255


@dataclass(frozen=True)
class ImageChange:
    """One image's update as messages describe it."""

    image: str
    old_tag: str
    new_tag: str
    alias: str = ""


def _render(name: str, text: str, data: dict[str, object]) -> str:
    try:
        return templating.parse(name, text).execute(data)
    except templating.TemplatingError as exc:
        raise ConfigError(f"{name} template: {exc}") from None


def commit_message(app_name: str, changes: Sequence[ImageChange], template: str = "") -> str:
    """The commit message for ``changes`` to ``app_name``."""
    data: dict[str, object] = {
        "AppName": app_name,
        "AppChanges": [
            {"Image": c.image, "OldTag": c.old_tag, "NewTag": c.new_tag} for c in changes
        ],
    }
    return _render("commit message", template or DEFAULT_COMMIT_TEMPLATE, data)


def changes_digest(app_name: str, changes: Sequence[ImageChange]) -> str:
    """A SHA-256 over the application and its (sorted) changes."""
    lines = sorted(f"{c.image}:{c.old_tag}:{c.new_tag}" for c in changes)
    return hashlib.sha256("\n".join([app_name, *lines]).encode()).hexdigest()


def write_branch(template: str, app_name: str, changes: Sequence[ImageChange]) -> str:
    """The branch to push to for ``git-branch``'s target part."""
    data: dict[str, object] = {
        "AppName": app_name,
        "SHA256": changes_digest(app_name, changes),
        "Images": [
            {"Name": c.image, "Alias": c.alias, "OldTag": c.old_tag, "NewTag": c.new_tag}
            for c in changes
        ],
    }
    branch = _render("git-branch", template, data).strip()
    if not branch:
        raise ConfigError(f"git-branch template {template!r} renders an empty branch name")
    return branch[:MAX_BRANCH]
