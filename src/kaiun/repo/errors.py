"""The repo room's error hierarchy: every failure a user can act on, secrets never included.

RepoError
├── SourceError            the request itself is wrong (bad path, unknown tool...)
│   ├── PathEscapeError    a path or symlink leaves the repository root
│   └── ToolDisabledError  the detected or requested tool is disabled in settings
├── GitError               git failed (network, missing repo)
│   ├── AuthenticationError
│   └── RevisionNotFoundError
├── RenderError            a renderer (helm, kustomize, jsonnet, ...) failed
│   └── RenderTimeoutError
├── ManifestError          rendered or stored manifests are unusable
│   ├── MalformedManifestError   carries the file name and line
│   └── ManifestTooLargeError
└── ChartRepositoryError   a Helm chart repository could not be used
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ChartRepositoryError",
    "GitError",
    "MalformedManifestError",
    "ManifestError",
    "ManifestTooLargeError",
    "PathEscapeError",
    "RenderError",
    "RenderTimeoutError",
    "RepoError",
    "RevisionNotFoundError",
    "SourceError",
    "ToolDisabledError",
]


class RepoError(Exception):
    """Base of every error raised by the repo room."""


class SourceError(RepoError):
    """The application source cannot be used as given."""


class PathEscapeError(SourceError):
    """A path, value file or symlink points outside the repository root."""


class ToolDisabledError(SourceError):
    """The config management tool is disabled by settings."""


class GitError(RepoError):
    """A git operation failed."""


class AuthenticationError(GitError):
    """The repository refused the credentials (or asked for some)."""

    def __init__(self, repo_url: str) -> None:
        super().__init__(f"authentication failed for {repo_url}: check the repository credentials")
        self.repo_url = repo_url


class RevisionNotFoundError(GitError):
    """The target revision matches no branch, tag, commit or semver constraint."""


class RenderError(RepoError):
    """A renderer failed; the message names the tool and the cause."""


class RenderTimeoutError(RenderError):
    """A renderer process ran past its time limit and was killed with its children."""


class ManifestError(RepoError):
    """Manifests could not be read or are unacceptable."""


class MalformedManifestError(ManifestError):
    """A manifest file is not valid YAML/JSON; the message names the file and line."""

    def __init__(self, file: str, line: int | None, problem: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"malformed manifest {where}: {problem}")
        self.file = file
        self.line = line


class ManifestTooLargeError(ManifestError):
    """Manifests exceed the configured size limit."""


class ChartRepositoryError(RepoError):
    """A Helm chart repository could not be read or has no matching chart version."""
