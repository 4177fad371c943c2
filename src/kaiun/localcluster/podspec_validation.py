"""Validation of ``PodSpec`` and ``PodTemplateSpec`` (Kubernetes 1.32 ``ValidatePodSpec``).

Covers what manifests get wrong in practice: container names, images, ports, env,
volume mounts, resources, probes, volumes and the enum fields. Each check returns the
causes in Kubernetes' own words; field paths are absolute (``spec.template.spec...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kaiun.localcluster import fielderrors as fe
from kaiun.localcluster import names
from kaiun.localcluster.fielderrors import Cause
from kaiun.localcluster.jsonshape import mapping
from kaiun.localcluster.quantity import QUANTITY_ERROR, parse_quantity

_ONE_SOURCE = (
    "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"
)
# The order validateVolumeSource checks sources in: later ones are reported as extra.
_SOURCE_ORDER = (
    "emptyDir",
    "hostPath",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flocker",
    "persistentVolumeClaim",
    "rbd",
    "cinder",
    "cephfs",
    "quobyte",
    "downwardAPI",
    "fc",
    "flexVolume",
    "configMap",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "azureDisk",
    "storageos",
    "scaleIO",
    "csi",
    "ephemeral",
    "image",
)
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PROTOCOLS = ("SCTP", "TCP", "UDP")
MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _enum(path: str, value: Any, allowed: tuple[str, ...]) -> list[Cause]:
    if value in (None, ""):
        return [fe.required(path)]
    if value not in allowed:
        return [fe.not_supported(path, value, allowed)]
    return []


def _nonnegative(path: str, value: Any) -> list[Cause]:
    if isinstance(value, int) and value < 0:
        return [fe.invalid(path, value, "must be greater than or equal to 0")]
    return []


def validate_labels(labels: Any, path: str) -> list[Cause]:
    """``ValidateLabels``: qualified-name keys and 63-character values."""
    causes: list[Cause] = []
    if not isinstance(labels, Mapping):
        return causes
    for key in sorted(labels):
        causes += [fe.invalid(path, key, m) for m in names.is_qualified_name(key)]
        value = labels[key]
        text = value if isinstance(value, str) else str(value)
        causes += [fe.invalid(path, text, m) for m in names.is_label_value(text)]
    return causes


def validate_annotations(annotations: Any, path: str) -> list[Cause]:
    """``ValidateAnnotations``: qualified-name keys (case-insensitive), 256 KiB in total."""
    causes: list[Cause] = []
    if not isinstance(annotations, Mapping):
        return causes
    total = 0
    for key in sorted(annotations):
        causes += [fe.invalid(path, key, m) for m in names.is_qualified_name(key.lower())]
        total += len(key.encode()) + len(str(annotations[key]).encode())
    if total > 256 * 1024:
        causes.append(fe.too_long(path, 256 * 1024))
    return causes


def _ports(ports: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, port in enumerate(_dicts(ports)):
        p = f"{path}[{i}]"
        name = port.get("name")
        if name:
            errs = names.is_port_name(str(name))
            causes += [fe.invalid(f"{p}.name", name, m) for m in errs]
            if not errs and name in seen:
                causes.append(fe.duplicate(f"{p}.name", name))
            seen.add(str(name))
        number = port.get("containerPort")
        if not number:
            causes.append(fe.required(f"{p}.containerPort"))
        else:
            causes += [
                fe.invalid(f"{p}.containerPort", number, m) for m in names.is_valid_port(number)
            ]
        if port.get("hostPort"):
            host = port["hostPort"]
            causes += [fe.invalid(f"{p}.hostPort", host, m) for m in names.is_valid_port(host)]
        causes += _enum(f"{p}.protocol", port.get("protocol"), PROTOCOLS)
    return causes


def _env(env: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, var in enumerate(_dicts(env)):
        p = f"{path}[{i}]"
        name = var.get("name")
        if not name:
            causes.append(fe.required(f"{p}.name"))
        else:
            causes += [fe.invalid(f"{p}.name", name, m) for m in names.is_env_var_name(str(name))]
        source = var.get("valueFrom")
        if isinstance(source, dict):
            count = sum(1 for v in source.values() if v is not None)
            if count == 0:
                causes.append(
                    fe.invalid(
                        f"{p}.valueFrom",
                        "",
                        _ONE_SOURCE,
                    )
                )
            elif count > 1:
                causes.append(
                    fe.invalid(
                        f"{p}.valueFrom",
                        "",
                        "may not have more than one field specified at a time",
                    )
                )
            if var.get("value"):
                causes.append(
                    fe.invalid(
                        f"{p}.valueFrom",
                        "",
                        "may not be specified when `value` is not empty",
                    )
                )
    return causes


def _mounts(mounts: Any, path: str, volumes: set[str]) -> list[Cause]:
    causes: list[Cause] = []
    paths: set[str] = set()
    for i, mount in enumerate(_dicts(mounts)):
        p = f"{path}[{i}]"
        name = mount.get("name")
        if not name:
            causes.append(fe.required(f"{p}.name"))
        elif name not in volumes:
            causes.append(fe.not_found(f"{p}.name", name))
        mount_path = mount.get("mountPath")
        if not mount_path:
            causes.append(fe.required(f"{p}.mountPath"))
        elif mount_path in paths:
            causes.append(fe.invalid(f"{p}.mountPath", mount_path, "must be unique"))
        else:
            paths.add(str(mount_path))
    return causes


def _resources(resources: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    if not isinstance(resources, dict):
        return causes
    parsed: dict[str, dict[str, Any]] = {}
    for kind in ("limits", "requests"):
        entries = resources.get(kind)
        parsed[kind] = {}
        if not isinstance(entries, dict):
            continue
        for name, raw in entries.items():
            value = parse_quantity(raw)
            if value is None:
                causes.append(fe.invalid(f"{path}.{kind}[{name}]", str(raw), QUANTITY_ERROR))
            elif value < 0:
                causes.append(
                    fe.invalid(
                        f"{path}.{kind}[{name}]", str(raw), "must be greater than or equal to 0"
                    )
                )
            else:
                parsed[kind][name] = value
    for name, request in parsed["requests"].items():
        limit = parsed["limits"].get(name)
        if limit is not None and request > limit:
            raw_request = str(resources["requests"][name])
            raw_limit = str(resources["limits"][name])
            detail = f"must be less than or equal to {name} limit of {raw_limit}"
            causes.append(fe.invalid(f"{path}.requests", raw_request, detail))
    return causes


def _probe(probe: Any, path: str, *, liveness: bool) -> list[Cause]:
    if not isinstance(probe, dict):
        return []
    causes: list[Cause] = []
    handlers = [k for k in ("exec", "httpGet", "tcpSocket", "grpc") if probe.get(k) is not None]
    if not handlers:
        causes.append(fe.required(path, "must specify a handler type"))
    for extra in handlers[1:]:
        causes.append(fe.forbidden(f"{path}.{extra}", "may not specify more than 1 handler type"))
    for key in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        causes += _nonnegative(f"{path}.{key}", probe.get(key))
    if liveness and probe.get("successThreshold") not in (None, 1):
        causes.append(
            fe.invalid(f"{path}.successThreshold", probe["successThreshold"], "must be 1")
        )
    return causes


def _container(c: dict[str, Any], p: str, volumes: set[str]) -> list[Cause]:
    # validateContainerCommon, in its order.
    causes: list[Cause] = []
    name = c.get("name")
    if not name:
        causes.append(fe.required(f"{p}.name"))
    else:
        causes += [fe.invalid(f"{p}.name", name, m) for m in names.is_dns1123_label(str(name))]
    if not c.get("image"):
        causes.append(fe.required(f"{p}.image"))
    policy = c.get("terminationMessagePolicy")
    causes += _enum(f"{p}.terminationMessagePolicy", policy, MESSAGE_POLICIES)
    causes += _ports(c.get("ports"), f"{p}.ports")
    causes += _env(c.get("env"), f"{p}.env")
    causes += _mounts(c.get("volumeMounts"), f"{p}.volumeMounts", volumes)
    causes += _enum(f"{p}.imagePullPolicy", c.get("imagePullPolicy"), PULL_POLICIES)
    causes += _resources(c.get("resources"), f"{p}.resources")
    return causes


def _probes(c: dict[str, Any], p: str) -> list[Cause]:
    causes = _probe(c.get("livenessProbe"), f"{p}.livenessProbe", liveness=True)
    causes += _probe(c.get("readinessProbe"), f"{p}.readinessProbe", liveness=False)
    causes += _probe(c.get("startupProbe"), f"{p}.startupProbe", liveness=True)
    return causes


def _host_ports(containers: list[dict[str, Any]], path: str) -> list[Cause]:
    # AccumulateUniqueHostPorts: one protocol/hostIP/hostPort per pod.
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, container in enumerate(containers):
        for j, port in enumerate(_dicts(container.get("ports"))):
            if not port.get("hostPort"):
                continue
            key = f"{port.get('protocol') or ''}/{port.get('hostIP') or ''}/{port['hostPort']}"
            if key in seen:
                causes.append(fe.duplicate(f"{path}[{i}].ports[{j}].hostPort", key))
            seen.add(key)
    return causes


def _containers(spec: Mapping[str, Any], path: str, volumes: set[str]) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    containers = _dicts(spec.get("containers"))
    if not containers:
        causes.append(fe.required(f"{path}.containers"))
    for i, c in enumerate(containers):
        p = f"{path}.containers[{i}]"
        causes += _container(c, p, volumes)
        if c.get("name") in seen:
            causes.append(fe.duplicate(f"{p}.name", c["name"]))
        seen.add(str(c.get("name")))
        causes += _probes(c, p)
    causes += _host_ports(containers, f"{path}.containers")
    for i, c in enumerate(_dicts(spec.get("initContainers"))):
        p = f"{path}.initContainers[{i}]"
        if c.get("name") in seen:
            causes.append(fe.duplicate(f"{p}.name", c["name"]))
        seen.add(str(c.get("name")))
        causes += _container(c, p, volumes)
        if c.get("restartPolicy") == "Always":
            causes += _probes(c, p)
    return causes


def _volume(volume: dict[str, Any], p: str) -> list[Cause]:
    causes: list[Cause] = []
    sources = [k for k in _SOURCE_ORDER if volume.get(k) is not None]
    if not sources:
        causes.append(fe.required(p, "must specify a volume type"))
    for extra in sources[1:]:
        causes.append(fe.forbidden(f"{p}.{extra}", "may not specify more than 1 volume type"))
    secret = volume.get("secret")
    if isinstance(secret, dict) and not secret.get("secretName"):
        causes.append(fe.required(f"{p}.secret.secretName"))
    config_map = volume.get("configMap")
    if isinstance(config_map, dict) and not config_map.get("name"):
        causes.append(fe.required(f"{p}.configMap.name"))
    claim = volume.get("persistentVolumeClaim")
    if isinstance(claim, dict) and not claim.get("claimName"):
        causes.append(fe.required(f"{p}.persistentVolumeClaim.claimName"))
    host_path = volume.get("hostPath")
    if isinstance(host_path, dict) and not host_path.get("path"):
        causes.append(fe.required(f"{p}.hostPath.path"))
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        source = volume.get(key)
        mode = source.get("defaultMode") if isinstance(source, dict) else None
        if isinstance(mode, int) and not 0 <= mode <= 0o777:
            detail = "must be a number between 0 and 0777 (octal), both inclusive"
            causes.append(fe.invalid(f"{p}.{key}.defaultMode", mode, detail))
    return causes


def _volumes(spec: Mapping[str, Any], path: str) -> tuple[list[Cause], set[str]]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, volume in enumerate(_dicts(spec.get("volumes"))):
        p = f"{path}.volumes[{i}]"
        name = volume.get("name")
        if not name:
            causes.append(fe.required(f"{p}.name"))
        else:
            causes += [fe.invalid(f"{p}.name", name, m) for m in names.is_dns1123_label(str(name))]
            if name in seen:
                causes.append(fe.duplicate(f"{p}.name", name))
            seen.add(str(name))
        causes += _volume(volume, p)
    return causes, seen


def validate_pod_spec(spec: Any, path: str) -> list[Cause]:
    """``ValidatePodSpec`` for the fields listed in the module docstring."""
    if not isinstance(spec, Mapping):
        return [fe.required(path)]
    causes, volumes = _volumes(spec, path)
    causes += _containers(spec, path, volumes)
    causes += _enum(f"{path}.restartPolicy", spec.get("restartPolicy"), RESTART_POLICIES)
    causes += _enum(f"{path}.dnsPolicy", spec.get("dnsPolicy"), DNS_POLICIES)
    causes += _nonnegative(
        f"{path}.terminationGracePeriodSeconds", spec.get("terminationGracePeriodSeconds")
    )
    account = spec.get("serviceAccountName")
    if account:
        causes += [
            fe.invalid(f"{path}.serviceAccountName", account, m)
            for m in names.is_dns1123_subdomain(str(account))
        ]
    causes += validate_labels(spec.get("nodeSelector"), f"{path}.nodeSelector")
    for i, secret in enumerate(_dicts(spec.get("imagePullSecrets"))):
        if not secret.get("name"):
            causes.append(fe.required(f"{path}.imagePullSecrets[{i}].name"))
    return causes


def validate_pod_template(template: Any, path: str) -> list[Cause]:
    """``ValidatePodTemplateSpec``: template labels/annotations (at ``<path>.labels``) and spec."""
    if not isinstance(template, Mapping):
        return [fe.required(path)]
    metadata = mapping(template.get("metadata"))
    causes = validate_labels(metadata.get("labels"), f"{path}.labels")
    causes += validate_annotations(metadata.get("annotations"), f"{path}.annotations")
    causes += validate_pod_spec(template.get("spec"), f"{path}.spec")
    return causes
