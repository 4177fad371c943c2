"""The repo room (L3, IO): turns (repository, revision, source spec) into desired manifests.

Owns git mirrors and checkouts, repository credentials, the renderers (directory, jsonnet,
kustomize, helm; one module each under ``render/``), the manifest cache and the
``ManifestRequest -> ManifestResponse`` contract that also runs over HTTP as the
``repo-server`` role (``kaiun.repo.http``, kept out of this surface so importing the
room does not load the web stack). Must not import kube, localcluster, auth, engine, controllers,
server, ui or cli; may import model and the pure rooms.
"""

from kaiun.repo.argocd_cm import render_settings_from_argocd_cm
from kaiun.repo.cache import ManifestCache, ManifestStore, manifest_cache_key
from kaiun.repo.contract import (
    ApplicationSource,
    DirectorySpec,
    HelmFileParameter,
    HelmParameter,
    HelmSpec,
    JsonnetSpec,
    JsonnetVar,
    KustomizeSpec,
    KustomizeVersion,
    ManifestRequest,
    ManifestResponse,
    RenderSettings,
)
from kaiun.repo.credentials import CredentialStore, RepoCredential, credential_from_secret
from kaiun.repo.errors import (
    AuthenticationError,
    ChartRepositoryError,
    GitError,
    MalformedManifestError,
    ManifestError,
    ManifestTooLargeError,
    PathEscapeError,
    RenderError,
    RenderTimeoutError,
    RepoError,
    RevisionNotFoundError,
    SourceError,
    ToolDisabledError,
)
from kaiun.repo.generatepaths import parse_generate_paths
from kaiun.repo.git import GitRepos
from kaiun.repo.helmrepo import HelmRepos
from kaiun.repo.placeholders import (
    KubernetesSecretBackend,
    SecretBackend,
    SecretPlaceholderError,
)
from kaiun.repo.rediscache import RedisManifestCache
from kaiun.repo.render.helm_engine import BinaryHelmEngine, HelmEngine, SdkHelmEngine
from kaiun.repo.render.plugin import ConfigManagementPlugin
from kaiun.repo.service import RepoService
from kaiun.repo.urls import normalize_repo_url, redact_url

__all__ = [
    "ApplicationSource",
    "AuthenticationError",
    "BinaryHelmEngine",
    "ChartRepositoryError",
    "ConfigManagementPlugin",
    "CredentialStore",
    "DirectorySpec",
    "GitError",
    "GitRepos",
    "HelmEngine",
    "HelmFileParameter",
    "HelmParameter",
    "HelmRepos",
    "HelmSpec",
    "JsonnetSpec",
    "JsonnetVar",
    "KubernetesSecretBackend",
    "KustomizeSpec",
    "KustomizeVersion",
    "MalformedManifestError",
    "ManifestCache",
    "ManifestError",
    "ManifestRequest",
    "ManifestResponse",
    "ManifestStore",
    "ManifestTooLargeError",
    "PathEscapeError",
    "RedisManifestCache",
    "RenderError",
    "RenderSettings",
    "RenderTimeoutError",
    "RepoCredential",
    "RepoError",
    "RepoService",
    "RevisionNotFoundError",
    "SdkHelmEngine",
    "SecretBackend",
    "SecretPlaceholderError",
    "SourceError",
    "ToolDisabledError",
    "credential_from_secret",
    "manifest_cache_key",
    "normalize_repo_url",
    "parse_generate_paths",
    "redact_url",
    "render_settings_from_argocd_cm",
]
