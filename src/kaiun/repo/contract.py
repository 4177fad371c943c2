"""The repo server's request/response contract: ``ManifestRequest`` -> ``ManifestResponse``.

The dataclasses mirror Argo CD's ``ApplicationSource`` JSON (camelCase on the wire) so the
same contract runs in-process and, as the ``repo-server`` role, over HTTP: ``from_dict``
reads Argo CD's shapes, ``to_dict`` writes them back. Nothing here does IO.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApplicationSource",
    "DirectorySpec",
    "HelmFileParameter",
    "HelmParameter",
    "HelmSpec",
    "JsonnetSpec",
    "JsonnetVar",
    "KustomizeSpec",
    "KustomizeVersion",
    "ManifestRequest",
    "ManifestResponse",
    "RenderSettings",
]

Obj = dict[str, Any]


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


def _drop_empty(d: Obj) -> Obj:
    """Omit zero values, as Go's ``omitempty`` does, so cache keys ignore absent fields."""
    return {k: v for k, v in d.items() if v not in (None, "", (), [], {}, False)}


@dataclass(frozen=True)
class HelmParameter:
    """One ``helm.parameters`` entry (``--set`` / ``--set-string``)."""

    name: str
    value: str
    force_string: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HelmParameter:
        """Read an Argo CD ``HelmParameter``."""
        return cls(str(d["name"]), str(d.get("value", "")), bool(d.get("forceString")))

    def to_dict(self) -> Obj:
        """Write Argo CD's JSON shape."""
        return _drop_empty(
            {"name": self.name, "value": self.value, "forceString": self.force_string}
        )


@dataclass(frozen=True)
class HelmFileParameter:
    """One ``helm.fileParameters`` entry (``--set-file``); ``path`` is repo-relative."""

    name: str
    path: str

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HelmFileParameter:
        """Read an Argo CD ``HelmFileParameter``."""
        return cls(str(d["name"]), str(d["path"]))

    def to_dict(self) -> Obj:
        """Write Argo CD's JSON shape."""
        return {"name": self.name, "path": self.path}


@dataclass(frozen=True)
class HelmSpec:
    """``spec.source.helm``."""

    value_files: tuple[str, ...] = ()
    values: str = ""
    values_object: Obj | None = None
    parameters: tuple[HelmParameter, ...] = ()
    file_parameters: tuple[HelmFileParameter, ...] = ()
    release_name: str = ""
    namespace: str = ""
    ignore_missing_value_files: bool = False
    skip_crds: bool = False
    skip_tests: bool = False
    pass_credentials: bool = False
    kube_version: str = ""
    api_versions: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HelmSpec:
        """Read an Argo CD ``ApplicationSourceHelm``."""
        return cls(
            value_files=_strs(d.get("valueFiles")),
            values=str(d.get("values") or ""),
            values_object=dict(d["valuesObject"]) if d.get("valuesObject") else None,
            parameters=tuple(HelmParameter.from_dict(p) for p in d.get("parameters") or ()),
            file_parameters=tuple(
                HelmFileParameter.from_dict(p) for p in d.get("fileParameters") or ()
            ),
            release_name=str(d.get("releaseName") or ""),
            namespace=str(d.get("namespace") or ""),
            ignore_missing_value_files=bool(d.get("ignoreMissingValueFiles")),
            skip_crds=bool(d.get("skipCrds")),
            skip_tests=bool(d.get("skipTests")),
            pass_credentials=bool(d.get("passCredentials")),
            kube_version=str(d.get("kubeVersion") or ""),
            api_versions=_strs(d.get("apiVersions")),
        )

    def to_dict(self) -> Obj:
        """Write Argo CD's JSON shape."""
        return _drop_empty(
            {
                "valueFiles": list(self.value_files),
                "values": self.values,
                "valuesObject": self.values_object,
                "parameters": [p.to_dict() for p in self.parameters],
                "fileParameters": [p.to_dict() for p in self.file_parameters],
                "releaseName": self.release_name,
                "namespace": self.namespace,
                "ignoreMissingValueFiles": self.ignore_missing_value_files,
                "skipCrds": self.skip_crds,
                "skipTests": self.skip_tests,
                "passCredentials": self.pass_credentials,
                "kubeVersion": self.kube_version,
                "apiVersions": list(self.api_versions),
            }
        )


@dataclass(frozen=True)
class KustomizeSpec:
    """``spec.source.kustomize``: overrides applied on top of the app's kustomization."""

    name_prefix: str = ""
    name_suffix: str = ""
    images: tuple[str, ...] = ()
    common_labels: Mapping[str, str] = field(default_factory=dict)
    common_annotations: Mapping[str, str] = field(default_factory=dict)
    namespace: str = ""
    replicas: tuple[tuple[str, int], ...] = ()
    patches: tuple[Obj, ...] = ()
    components: tuple[str, ...] = ()
    label_without_selector: bool = False
    common_annotations_envsubst: bool = False
    force_common_labels: bool = False
    force_common_annotations: bool = False
    # A kustomize version configured in argocd-cm (``kustomize.path.<version>``).
    version: str = ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> KustomizeSpec:
        """Read an Argo CD ``ApplicationSourceKustomize``."""
        return cls(
            name_prefix=str(d.get("namePrefix") or ""),
            name_suffix=str(d.get("nameSuffix") or ""),
            images=_strs(d.get("images")),
            common_labels={str(k): str(v) for k, v in (d.get("commonLabels") or {}).items()},
            common_annotations={
                str(k): str(v) for k, v in (d.get("commonAnnotations") or {}).items()
            },
            namespace=str(d.get("namespace") or ""),
            replicas=tuple((str(r["name"]), int(r["count"])) for r in d.get("replicas") or ()),
            patches=tuple(dict(p) for p in d.get("patches") or ()),
            components=_strs(d.get("components")),
            label_without_selector=bool(d.get("labelWithoutSelector")),
            common_annotations_envsubst=bool(d.get("commonAnnotationsEnvsubst")),
            force_common_labels=bool(d.get("forceCommonLabels")),
            force_common_annotations=bool(d.get("forceCommonAnnotations")),
            version=str(d.get("version") or ""),
        )

    def to_dict(self) -> Obj:
        """Write Argo CD's JSON shape."""
        return _drop_empty(
            {
                "namePrefix": self.name_prefix,
                "nameSuffix": self.name_suffix,
                "images": list(self.images),
                "commonLabels": dict(self.common_labels),
                "commonAnnotations": dict(self.common_annotations),
                "namespace": self.namespace,
                "replicas": [{"name": n, "count": c} for n, c in self.replicas],
                "patches": [dict(p) for p in self.patches],
                "components": list(self.components),
                "labelWithoutSelector": self.label_without_selector,
                "commonAnnotationsEnvsubst": self.common_annotations_envsubst,
                "forceCommonLabels": self.force_common_labels,
                "forceCommonAnnotations": self.force_common_annotations,
                "version": self.version,
            }
        )

    def is_empty(self) -> bool:
        """True when no override is set, so the kustomization is built as it is (the
        version picks the binary, it overrides nothing)."""
        return not {k: v for k, v in self.to_dict().items() if k != "version"}


@dataclass(frozen=True)
class JsonnetVar:
    """A jsonnet ext var or TLA; ``code`` means the value is Jsonnet code, not a string."""

    name: str
    value: str
    code: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JsonnetVar:
        """Read an Argo CD ``JsonnetVar``."""
        return cls(str(d["name"]), str(d.get("value", "")), bool(d.get("code")))

    def to_dict(self) -> Obj:
        """Write Argo CD's JSON shape."""
        return _drop_empty({"name": self.name, "value": self.value, "code": self.code})


@dataclass(frozen=True)
class JsonnetSpec:
    """``directory.jsonnet``: ext vars, top-level arguments and library search paths."""

    ext_vars: tuple[JsonnetVar, ...] = ()
    tlas: tuple[JsonnetVar, ...] = ()
    libs: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JsonnetSpec:
        """Read an Argo CD ``ApplicationSourceJsonnet``."""
        return cls(
            ext_vars=tuple(JsonnetVar.from_dict(v) for v in d.get("extVars") or ()),
            tlas=tuple(JsonnetVar.from_dict(v) for v in d.get("tlas") or ()),
            libs=_strs(d.get("libs")),
        )

    def to_dict(self) -> Obj:
        """Write Argo CD's JSON shape."""
        return _drop_empty(
            {
                "extVars": [v.to_dict() for v in self.ext_vars],
                "tlas": [v.to_dict() for v in self.tlas],
                "libs": list(self.libs),
            }
        )


@dataclass(frozen=True)
class DirectorySpec:
    """``spec.source.directory``."""

    recurse: bool = False
    include: str = ""
    exclude: str = ""
    jsonnet: JsonnetSpec = field(default_factory=JsonnetSpec)
    disable_extension_filter: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DirectorySpec:
        """Read an Argo CD ``ApplicationSourceDirectory``."""
        return cls(
            recurse=bool(d.get("recurse")),
            include=str(d.get("include") or ""),
            exclude=str(d.get("exclude") or ""),
            jsonnet=JsonnetSpec.from_dict(d.get("jsonnet") or {}),
            disable_extension_filter=bool(d.get("disableExtensionFilter")),
        )

    def to_dict(self) -> Obj:
        """Write Argo CD's JSON shape."""
        return _drop_empty(
            {
                "recurse": self.recurse,
                "include": self.include,
                "exclude": self.exclude,
                "jsonnet": self.jsonnet.to_dict(),
                "disableExtensionFilter": self.disable_extension_filter,
            }
        )


@dataclass(frozen=True)
class ApplicationSource:
    """One Application source: where the manifests live and how to render them."""

    repo_url: str
    path: str = ""
    target_revision: str = ""
    chart: str = ""
    ref: str = ""
    tag_prefix: str = ""
    helm: HelmSpec | None = None
    kustomize: KustomizeSpec | None = None
    directory: DirectorySpec | None = None
    plugin: Obj | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ApplicationSource:
        """Read an Argo CD ``ApplicationSource`` (``spec.source`` or one of ``spec.sources``)."""
        return cls(
            repo_url=str(d["repoURL"]),
            path=str(d.get("path") or ""),
            target_revision=str(d.get("targetRevision") or ""),
            chart=str(d.get("chart") or ""),
            ref=str(d.get("ref") or ""),
            tag_prefix=str(d.get("tagPrefix") or ""),
            helm=HelmSpec.from_dict(d["helm"]) if d.get("helm") is not None else None,
            kustomize=(
                KustomizeSpec.from_dict(d["kustomize"]) if d.get("kustomize") is not None else None
            ),
            directory=(
                DirectorySpec.from_dict(d["directory"]) if d.get("directory") is not None else None
            ),
            plugin=dict(d["plugin"]) if d.get("plugin") is not None else None,
        )

    def to_dict(self) -> Obj:
        """Write Argo CD's JSON shape; a tool block given empty stays, as it selects the tool."""
        out = _drop_empty(
            {
                "repoURL": self.repo_url,
                "path": self.path,
                "targetRevision": self.target_revision,
                "chart": self.chart,
                "ref": self.ref,
                "tagPrefix": self.tag_prefix,
            }
        )
        tools: dict[str, Any] = {
            "helm": self.helm,
            "kustomize": self.kustomize,
            "directory": self.directory,
        }
        for key, spec in tools.items():
            if spec is not None:
                out[key] = spec.to_dict()
        if self.plugin is not None:
            out["plugin"] = dict(self.plugin)
        return out

    @property
    def revision(self) -> str:
        """The revision to resolve; Argo CD treats an empty one as ``HEAD``."""
        return self.target_revision or "HEAD"


@dataclass(frozen=True)
class KustomizeVersion:
    """An extra kustomize binary from argocd-cm: ``kustomize.path.<name>`` (or the older
    ``kustomize.version.<name>``) and its own ``kustomize.buildOptions.<name>``."""

    name: str
    path: str
    build_options: tuple[str, ...] = ()

    def to_dict(self) -> Obj:
        """JSON form, as carried in ``RenderSettings.to_dict``."""
        return {"name": self.name, "path": self.path, "buildOptions": list(self.build_options)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> KustomizeVersion:
        """Read the form ``to_dict`` writes."""
        return cls(str(d["name"]), str(d["path"]), _strs(d.get("buildOptions")))


@dataclass(frozen=True)
class RenderSettings:
    """Settings (from ``argocd-cm`` / ``argocd-cmd-params-cm``) that change rendering.

    Defaults are Argo CD's: 10 MB combined directory manifests, 90 s exec timeout,
    out-of-bounds symlinks refused, remote value files over http/https only.
    """

    helm_enabled: bool = True
    kustomize_enabled: bool = True
    jsonnet_enabled: bool = True
    kustomize_build_options: tuple[str, ...] = ()
    helm_values_file_schemes: tuple[str, ...] = ("http", "https")
    max_combined_manifest_bytes: int = 10 * 1024 * 1024
    allow_out_of_bounds_symlinks: bool = False
    exec_timeout_seconds: float = 90.0
    include_hidden_directories: bool = False
    kustomize_versions: tuple[KustomizeVersion, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RenderSettings:
        """Read the snake_case JSON form written by ``to_dict``."""
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        for name in ("kustomize_build_options", "helm_values_file_schemes"):
            if name in known:
                known[name] = _strs(known[name])
        if "kustomize_versions" in known:
            known["kustomize_versions"] = tuple(
                KustomizeVersion.from_dict(v) for v in known["kustomize_versions"]
            )
        return cls(**known)

    def to_dict(self) -> Obj:
        """Every field, so two settings that differ never share a cache key."""
        out = {
            name: list(v) if isinstance(v, tuple) else v
            for name in self.__dataclass_fields__
            for v in [getattr(self, name)]
        }
        out["kustomize_versions"] = [v.to_dict() for v in self.kustomize_versions]
        return out

    def kustomize_version(self, name: str) -> KustomizeVersion | None:
        """The configured kustomize version called ``name``, if any."""
        return next((v for v in self.kustomize_versions if v.name == name), None)


@dataclass(frozen=True)
class ManifestRequest:
    """Everything the repo server needs to produce one source's manifests."""

    source: ApplicationSource
    app_name: str = ""
    namespace: str = ""
    project: str = ""
    kube_version: str = ""
    api_versions: tuple[str, ...] = ()
    ref_sources: Mapping[str, ApplicationSource] = field(default_factory=dict)
    settings: RenderSettings = field(default_factory=RenderSettings)
    no_cache: bool = False
    manifest_generate_paths: tuple[str, ...] = ()
    previous_revision: str = ""
    replace_secret_placeholders: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ManifestRequest:
        """Read the JSON form written by ``to_dict`` (the HTTP body of the repo-server role)."""
        return cls(
            source=ApplicationSource.from_dict(d["source"]),
            app_name=str(d.get("appName") or ""),
            namespace=str(d.get("namespace") or ""),
            project=str(d.get("project") or ""),
            kube_version=str(d.get("kubeVersion") or ""),
            api_versions=_strs(d.get("apiVersions")),
            ref_sources={
                k: ApplicationSource.from_dict(v) for k, v in (d.get("refSources") or {}).items()
            },
            settings=RenderSettings.from_dict(d.get("settings") or {}),
            no_cache=bool(d.get("noCache")),
            manifest_generate_paths=_strs(d.get("manifestGeneratePaths")),
            previous_revision=str(d.get("previousRevision") or ""),
            replace_secret_placeholders=bool(d.get("replaceSecretPlaceholders")),
        )

    def to_dict(self) -> Obj:
        """The JSON form of the request."""
        return {
            "source": self.source.to_dict(),
            "appName": self.app_name,
            "namespace": self.namespace,
            "project": self.project,
            "kubeVersion": self.kube_version,
            "apiVersions": list(self.api_versions),
            "refSources": {k: v.to_dict() for k, v in self.ref_sources.items()},
            "settings": self.settings.to_dict(),
            "noCache": self.no_cache,
            "manifestGeneratePaths": list(self.manifest_generate_paths),
            "previousRevision": self.previous_revision,
            "replaceSecretPlaceholders": self.replace_secret_placeholders,
        }


@dataclass(frozen=True)
class ManifestResponse:
    """Rendered manifests of one source at one resolved commit."""

    manifests: Sequence[Obj]
    revision: str
    source_type: str
    namespace: str = ""
    commands: tuple[str, ...] = ()
    cached: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ManifestResponse:
        """Read the JSON form written by ``to_dict``."""
        return cls(
            manifests=[dict(m) for m in d.get("manifests") or ()],
            revision=str(d["revision"]),
            source_type=str(d["sourceType"]),
            namespace=str(d.get("namespace") or ""),
            commands=_strs(d.get("commands")),
            cached=bool(d.get("cached")),
        )

    def to_dict(self) -> Obj:
        """The JSON form of the response."""
        return {
            "manifests": [dict(m) for m in self.manifests],
            "revision": self.revision,
            "sourceType": self.source_type,
            "namespace": self.namespace,
            "commands": list(self.commands),
            "cached": self.cached,
        }
