"""Defaulting of ``PodSpec`` and ``PodTemplateSpec``, wherever they are embedded.

Mirrors Kubernetes 1.32 ``pkg/apis/core/v1/defaults.go`` (plus the generated
``+default`` markers) for the fields a real API server fills in. Pure: mutates dicts.
"""

from __future__ import annotations

from typing import Any

from kaiun.localcluster.quantity import canonical_quantity

JsonObject = dict[str, Any]

# Pod template metadata serialises ``creationTimestamp: null`` on a 1.32 API server
# (a zero metav1.Time in a non-pointer ObjectMeta), and users see it in `kubectl get -o yaml`.
TEMPLATE_CREATION_TIMESTAMP = True

_DEFAULT_MODE = 0o644  # 420: secret, configMap, projected, downwardAPI volumes
VOLUME_SOURCES = (
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
)


def child(obj: JsonObject, key: str) -> JsonObject:
    """Return ``obj[key]`` as a dict, creating ``{}`` when it is absent or null."""
    value = obj.get(key)
    if not isinstance(value, dict):
        value = {}
        obj[key] = value
    return value


def items(obj: JsonObject, key: str) -> list[JsonObject]:
    """The dict entries of the list ``obj[key]`` (missing or malformed lists give none)."""
    value = obj.get(key)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, dict)]


def canonical_resources(holder: Any, key: str) -> None:
    """Rewrite the ResourceList ``holder[key]`` in canonical form, rounded up to ``1m``.

    Malformed quantities are left for validation to report.
    """
    resources = holder.get(key) if isinstance(holder, dict) else None
    if isinstance(resources, dict):
        for name, raw in resources.items():
            text = canonical_quantity(raw, milli_round=True)
            if text is not None:
                resources[name] = text


def canonical_field(holder: Any, key: str) -> None:
    """Rewrite a single Quantity field (not a ResourceList: no rounding) in canonical form."""
    if isinstance(holder, dict) and key in holder:
        text = canonical_quantity(holder[key])
        if text is not None:
            holder[key] = text


def set_default(obj: JsonObject, key: str, value: Any) -> None:
    """Set ``obj[key]`` when it is absent, null or the empty string (Go's zero value)."""
    if obj.get(key) in (None, ""):
        obj[key] = value


def image_tag(image: str) -> str:
    """The tag the kubelet would pull: ``latest`` when neither tag nor digest is given.

    Unparseable references (empty, upper case) yield ``""`` like ``parsers.ParseImageName``.
    """
    if not image or image != image.strip():
        return ""
    name, _, digest = image.partition("@")
    head, _, last = name.rpartition("/")
    repo_last, _, tag = last.partition(":")
    repository = f"{head}/{repo_last}" if head else repo_last
    # Repository paths must be lower case; tags may use upper case.
    if any(c.isupper() for c in repository.split("/", 1)[-1]) or not repo_last:
        return ""
    if not tag and not digest:
        return "latest"
    return tag


def _default_probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    set_default(probe, "timeoutSeconds", 1)
    set_default(probe, "periodSeconds", 10)
    set_default(probe, "successThreshold", 1)
    set_default(probe, "failureThreshold", 3)
    _default_handler(probe)


def _default_handler(handler: JsonObject) -> None:
    http_get = handler.get("httpGet")
    if isinstance(http_get, dict):
        set_default(http_get, "path", "/")
        set_default(http_get, "scheme", "HTTP")
    grpc = handler.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        grpc["service"] = ""


def _default_field_refs(holder: JsonObject) -> None:
    field_ref = holder.get("fieldRef")
    if isinstance(field_ref, dict):
        set_default(field_ref, "apiVersion", "v1")
    resource_ref = holder.get("resourceFieldRef")
    if isinstance(resource_ref, dict):
        # A zero resource.Quantity serialises as "0".
        set_default(resource_ref, "divisor", "0")


def default_container(container: JsonObject) -> None:
    """Container defaults: pull policy by tag, termination message, ports, probes, env."""
    if not container.get("imagePullPolicy"):
        tag = image_tag(str(container.get("image") or ""))
        container["imagePullPolicy"] = "Always" if tag == "latest" else "IfNotPresent"
    set_default(container, "terminationMessagePath", "/dev/termination-log")
    set_default(container, "terminationMessagePolicy", "File")
    # A non-pointer ResourceRequirements struct always serialises, as {} when empty.
    if not isinstance(container.get("resources"), dict):
        container["resources"] = {}
    canonical_resources(container["resources"], "limits")
    canonical_resources(container["resources"], "requests")
    for port in items(container, "ports"):
        set_default(port, "protocol", "TCP")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(container.get(probe))
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            if isinstance(lifecycle.get(hook), dict):
                _default_handler(lifecycle[hook])
    for env in items(container, "env"):
        value_from = env.get("valueFrom")
        if isinstance(value_from, dict):
            _default_field_refs(value_from)


def _default_downward_items(source: JsonObject) -> None:
    for item in items(source, "items"):
        _default_field_refs(item)


def default_pvc_spec(spec: JsonObject) -> None:
    """``PersistentVolumeClaimSpec`` defaults (volumeMode) and canonical quantities."""
    set_default(spec, "volumeMode", "Filesystem")
    canonical_resources(spec.get("resources"), "requests")
    canonical_resources(spec.get("resources"), "limits")


def default_volume(volume: JsonObject) -> None:
    """Volume defaults: ``emptyDir: {}`` when no source, file modes, hostPath type..."""
    if not any(volume.get(src) is not None for src in VOLUME_SOURCES):
        volume["emptyDir"] = {}
    canonical_field(volume.get("emptyDir"), "sizeLimit")
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        source = volume.get(key)
        if isinstance(source, dict):
            set_default(source, "defaultMode", _DEFAULT_MODE)
    if isinstance(volume.get("downwardAPI"), dict):
        _default_downward_items(volume["downwardAPI"])
    if isinstance(volume.get("hostPath"), dict) and volume["hostPath"].get("type") is None:
        volume["hostPath"]["type"] = ""
    projected = volume.get("projected")
    if isinstance(projected, dict):
        for source in items(projected, "sources"):
            if isinstance(source.get("downwardAPI"), dict):
                _default_downward_items(source["downwardAPI"])
            token = source.get("serviceAccountToken")
            if isinstance(token, dict):
                set_default(token, "expirationSeconds", 3600)
    _default_legacy_volume(volume)
    ephemeral = volume.get("ephemeral")
    if isinstance(ephemeral, dict) and isinstance(ephemeral.get("volumeClaimTemplate"), dict):
        template = ephemeral["volumeClaimTemplate"]
        if isinstance(template.get("spec"), dict):
            default_pvc_spec(template["spec"])


def _default_legacy_volume(volume: JsonObject) -> None:
    iscsi = volume.get("iscsi")
    if isinstance(iscsi, dict):
        set_default(iscsi, "iscsiInterface", "default")
    rbd = volume.get("rbd")
    if isinstance(rbd, dict):
        set_default(rbd, "pool", "rbd")
        set_default(rbd, "user", "admin")
        set_default(rbd, "keyring", "/etc/ceph/keyring")
    azure = volume.get("azureDisk")
    if isinstance(azure, dict):
        set_default(azure, "cachingMode", "ReadWrite")
        set_default(azure, "fsType", "ext4")
        if azure.get("readOnly") is None:
            azure["readOnly"] = False
        set_default(azure, "kind", "Shared")


def default_pod_spec(spec: JsonObject) -> None:
    """``SetDefaults_PodSpec`` and everything nested in a pod spec."""
    set_default(spec, "dnsPolicy", "ClusterFirst")
    set_default(spec, "restartPolicy", "Always")
    if not isinstance(spec.get("securityContext"), dict):
        spec["securityContext"] = {}
    set_default(spec, "terminationGracePeriodSeconds", 30)
    set_default(spec, "schedulerName", "default-scheduler")
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for container in items(spec, key):
            default_container(container)
    for volume in items(spec, "volumes"):
        default_volume(volume)
    canonical_resources(spec, "overhead")


def default_pod_template(template: JsonObject) -> None:
    """A ``PodTemplateSpec``: its metadata quirk and its pod spec."""
    metadata = child(template, "metadata")
    if TEMPLATE_CREATION_TIMESTAMP and "creationTimestamp" not in metadata:
        metadata["creationTimestamp"] = None
    default_pod_spec(child(template, "spec"))


def default_pod(pod: JsonObject) -> None:
    """Defaults only a Pod (not a template) gets: requests from limits, service links."""
    spec = child(pod, "spec")
    default_pod_spec(spec)
    for key in ("containers", "initContainers"):
        for container in items(spec, key):
            resources = container.get("resources")
            if isinstance(resources, dict) and isinstance(resources.get("limits"), dict):
                requests = child(resources, "requests")
                for name, quantity in resources["limits"].items():
                    requests.setdefault(name, quantity)
            if spec.get("hostNetwork") is True:
                for port in items(container, "ports"):
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
