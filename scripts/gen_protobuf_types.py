#!/usr/bin/env python3
"""Regenerate src/kaiun/localcluster/protobuf_types.py from a kubectl binary.

kubectl embeds the (gzipped) descriptors of every k8s.io ``generated.proto`` it was built
with, and the Go struct tags that say which JSON name and ``omitempty`` each field has. This
script reads both out of the binary and writes the message tables in our own compact format,
so the local cluster decodes exactly what that kubectl encodes.

Usage: scripts/gen_protobuf_types.py [path/to/kubectl]
"""

from __future__ import annotations

import re
import shutil
import sys
import zlib
from collections import defaultdict
from pathlib import Path

from kaiun.localcluster.protobuf import fields
from kaiun.localcluster.protobuf_types import SPECIAL

OUT = Path(__file__).resolve().parent.parent / "src/kaiun/localcluster/protobuf_types.py"

# API groups whose objects kubectl's typed commands send as protobuf.
GROUPS = {
    "core.v1": "v1",
    "apps.v1": "apps/v1",
    "batch.v1": "batch/v1",
    "rbac.v1": "rbac.authorization.k8s.io/v1",
    "networking.v1": "networking.k8s.io/v1",
    "policy.v1": "policy/v1",
    "scheduling.v1": "scheduling.k8s.io/v1",
    "autoscaling.v1": "autoscaling/v1",
    "autoscaling.v2": "autoscaling/v2",
    "coordination.v1": "coordination.k8s.io/v1",
    "discovery.v1": "discovery.k8s.io/v1",
    "storage.v1": "storage.k8s.io/v1",
    "events.v1": "events.k8s.io/v1",
    "certificates.v1": "certificates.k8s.io/v1",
    "authentication.v1": "authentication.k8s.io/v1",
    "authorization.v1": "authorization.k8s.io/v1",
}
TYPES = {1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64"}
TYPES |= {7: "fixed32", 8: "bool", 9: "string", 12: "bytes", 13: "uint32", 15: "sfixed32"}
TYPES |= {16: "sfixed64", 17: "sint32", 18: "sint64", 14: "int32"}

# Scalars Go declares as pointers (set means "explicitly chosen", zero included) and so must
# keep a zero value; read off k8s.io/api types.go. Keyed by message, listing JSON names.
POINTERS = {
    "apps.v1.DaemonSetSpec": "revisionHistoryLimit",
    "apps.v1.DaemonSetStatus": "collisionCount",
    "apps.v1.DeploymentSpec": "replicas revisionHistoryLimit progressDeadlineSeconds",
    "apps.v1.DeploymentStatus": "collisionCount",
    "apps.v1.ReplicaSetSpec": "replicas",
    "apps.v1.RollingUpdateStatefulSetStrategy": "partition",
    "apps.v1.StatefulSetSpec": "replicas revisionHistoryLimit",
    "apps.v1.StatefulSetStatus": "collisionCount",
    "autoscaling.v1.HorizontalPodAutoscalerSpec": "minReplicas targetCPUUtilizationPercentage",
    "autoscaling.v1.HorizontalPodAutoscalerStatus": (
        "observedGeneration currentCPUUtilizationPercentage"
    ),
    "autoscaling.v2.HPAScalingRules": "stabilizationWindowSeconds selectPolicy",
    "autoscaling.v2.HorizontalPodAutoscalerSpec": "minReplicas",
    "autoscaling.v2.HorizontalPodAutoscalerStatus": "observedGeneration",
    "autoscaling.v2.MetricTarget": "averageUtilization",
    "autoscaling.v2.MetricValueStatus": "averageUtilization",
    "batch.v1.CronJobSpec": (
        "startingDeadlineSeconds suspend successfulJobsHistoryLimit failedJobsHistoryLimit timeZone"
    ),
    "batch.v1.JobSpec": (
        "parallelism completions activeDeadlineSeconds backoffLimit "
        "backoffLimitPerIndex maxFailedIndexes manualSelector "
        "ttlSecondsAfterFinished suspend completionMode "
        "podReplacementPolicy managedBy"
    ),
    "batch.v1.JobStatus": "ready terminating failedIndexes",
    "batch.v1.SuccessPolicyRule": "succeededCount succeededIndexes",
    "certificates.v1.CertificateSigningRequestSpec": "expirationSeconds",
    "coordination.v1.LeaseSpec": "leaseDurationSeconds leaseTransitions holderIdentity",
    "core.v1.AppArmorProfile": "localhostProfile",
    "core.v1.CSIVolumeSource": "readOnly",
    "core.v1.ClientIPConfig": "timeoutSeconds",
    "core.v1.ClusterTrustBundleProjection": "optional",
    "core.v1.ConfigMap": "immutable",
    "core.v1.ConfigMapEnvSource": "optional",
    "core.v1.ConfigMapKeySelector": "optional",
    "core.v1.ConfigMapProjection": "optional",
    "core.v1.ConfigMapVolumeSource": "defaultMode optional",
    "core.v1.ContainerStatus": "started",
    "core.v1.DownwardAPIVolumeFile": "mode",
    "core.v1.DownwardAPIVolumeSource": "defaultMode",
    "core.v1.FCVolumeSource": "lun",
    "core.v1.HostPathVolumeSource": "type",
    "core.v1.KeyToPath": "mode",
    "core.v1.NodeFeatures": "supplementalGroupsPolicy",
    "core.v1.NodeRuntimeHandlerFeatures": "recursiveReadOnlyMounts userNamespaces",
    "core.v1.PersistentVolumeClaimSpec": "storageClassName volumeMode volumeAttributesClassName",
    "core.v1.PersistentVolumeSpec": "volumeMode volumeAttributesClassName",
    "core.v1.PodSecurityContext": (
        "runAsUser runAsGroup runAsNonRoot fsGroup "
        "fsGroupChangePolicy seLinuxChangePolicy "
        "supplementalGroupsPolicy"
    ),
    "core.v1.PodSpec": (
        "terminationGracePeriodSeconds activeDeadlineSeconds "
        "automountServiceAccountToken shareProcessNamespace priority "
        "enableServiceLinks setHostnameAsFQDN hostUsers "
        "runtimeClassName preemptionPolicy"
    ),
    "core.v1.Probe": "terminationGracePeriodSeconds",
    "core.v1.ProjectedVolumeSource": "defaultMode",
    "core.v1.SeccompProfile": "localhostProfile",
    "core.v1.Secret": "immutable",
    "core.v1.SecretEnvSource": "optional",
    "core.v1.SecretKeySelector": "optional",
    "core.v1.SecretProjection": "optional",
    "core.v1.SecretVolumeSource": "defaultMode optional",
    "core.v1.SecurityContext": (
        "privileged runAsUser runAsGroup runAsNonRoot "
        "readOnlyRootFilesystem allowPrivilegeEscalation procMount"
    ),
    "core.v1.ServiceAccount": "automountServiceAccountToken",
    "core.v1.ServiceAccountTokenProjection": "expirationSeconds",
    "core.v1.ServicePort": "appProtocol",
    "core.v1.ServiceSpec": (
        "allocateLoadBalancerNodePorts ipFamilyPolicy "
        "loadBalancerClass internalTrafficPolicy trafficDistribution"
    ),
    "core.v1.Toleration": "tolerationSeconds",
    "core.v1.TopologySpreadConstraint": "minDomains nodeAffinityPolicy nodeTaintsPolicy",
    "core.v1.VolumeMount": "recursiveReadOnly",
    "core.v1.WindowsSecurityContextOptions": (
        "hostProcess gmsaCredentialSpecName gmsaCredentialSpec runAsUserName"
    ),
    "discovery.v1.Endpoint": "hostname nodeName zone",
    "discovery.v1.EndpointConditions": "ready serving terminating",
    "discovery.v1.EndpointPort": "name port protocol appProtocol",
    "meta.v1.DeleteOptions": (
        "gracePeriodSeconds orphanDependents ignoreStoreReadErrorWithClusterBreakingPotential"
    ),
    "meta.v1.ObjectMeta": "deletionGracePeriodSeconds",
    "meta.v1.OwnerReference": "controller blockOwnerDeletion",
    "networking.v1.IngressSpec": "ingressClassName",
    "networking.v1.NetworkPolicyPort": "endPort",
    "policy.v1.PodDisruptionBudgetSpec": "unhealthyPodEvictionPolicy",
    "scheduling.v1.PriorityClass": "preemptionPolicy",
    "storage.v1.CSIDriverSpec": (
        "attachRequired podInfoOnMount storageCapacity requiresRepublish seLinuxMount fsGroupPolicy"
    ),
    "storage.v1.StorageClass": "allowVolumeExpansion reclaimPolicy volumeBindingMode",
    "storage.v1.TokenRequest": "expirationSeconds",
}
# Fields whose Go struct tag says omitempty although the same name and number elsewhere does
# not (the tag index cannot tell the two apart).
OMITEMPTY = {
    "apps.v1.DeploymentStatus": "replicas",
    "autoscaling.v1.ScaleSpec": "replicas",
    "autoscaling.v2.HorizontalPodAutoscalerStatus": "currentReplicas",
}


def short(package: str) -> str:
    for prefix in ("k8s.io.api.", "k8s.io.apimachinery.pkg.apis.", "k8s.io.apimachinery.pkg."):
        if package.startswith(prefix):
            package = package[len(prefix) :]
    return package.replace("util.", "").replace("api.", "")


def descriptors(binary: bytes) -> list[bytes]:
    out = []
    for match in re.finditer(rb"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff", binary):
        try:
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(
                binary[match.start() : match.start() + 2_000_000]
            )
        except zlib.error:
            continue
        if raw[:1] == b"\n" and b"generated.proto" in raw[2 : 2 + raw[1]]:
            out.append(raw)
    return out


def tags(binary: bytes) -> dict[tuple[str, int], set[tuple[str, bool]]]:
    """(proto name, number) -> {(json name, omitempty)} from the Go struct tags."""
    found: dict[tuple[str, int], set[tuple[str, bool]]] = defaultdict(set)
    pattern = (
        rb'json:"([^"]*)"(?:(?!json:)[ -~])*?protobuf:"[a-z0-9]+,(\d+),[^"]*?name=([A-Za-z0-9]+)'
    )
    for match in re.finditer(pattern, binary):
        json_tag, number, proto_name = (g.decode() for g in match.groups())
        json_name, _, opts = json_tag.partition(",")
        found[(proto_name, int(number))].add((json_name, "omitempty" in opts or "inline" in opts))
    return found


def parse_file(raw: bytes) -> tuple[str, list[tuple[str, list[dict], bool]]]:
    package = ""
    messages: list[tuple[str, list[dict], bool]] = []
    for number, _wire, value in fields(raw):
        if number == 2 and isinstance(value, bytes):
            package = value.decode()
        elif number == 4 and isinstance(value, bytes):
            messages.extend(parse_message(value, ""))
    return package, messages


def parse_message(raw: bytes, outer: str) -> list[tuple[str, list[dict], bool]]:
    name, flds, nested, map_entry = "", [], [], False
    for number, _wire, value in fields(raw):
        if not isinstance(value, bytes):
            continue
        if number == 1:
            name = value.decode()
        elif number == 2:
            fd: dict = {}
            for n, _w, v in fields(value):
                fd[{1: "name", 3: "number", 4: "label", 5: "type", 6: "type_name"}.get(n, n)] = v
            fd["name"] = fd["name"].decode()
            fd["type_name"] = fd.get("type_name", b"").decode()
            flds.append(fd)
        elif number == 3:
            nested.append(value)
        elif number == 7:
            map_entry = any(n == 7 and v for n, _w, v in fields(value))
    full = f"{outer}.{name}" if outer else name
    out = [(full, flds, map_entry)]
    for sub in nested:
        out.extend(parse_message(sub, full))
    return out


class Tables:
    """The descriptors and tags of one kubectl binary, rendered into our table format."""

    def __init__(self, binary: bytes) -> None:
        self.tag_index = tags(binary)
        self.messages: dict[str, tuple[list[dict], bool]] = {}
        for raw in descriptors(binary):
            package, msgs = parse_file(raw)
            for name, flds, map_entry in msgs:
                self.messages[f"{short(package)}.{name}"] = (flds, map_entry)

    def roots(self) -> list[str]:
        """Top-level kinds: messages of the chosen groups with metadata, lists excluded."""
        return sorted(
            m
            for m, (flds, _) in self.messages.items()
            if m.rsplit(".", 1)[0] in GROUPS
            and any(f["name"] == "metadata" for f in flds)
            and not m.endswith("List")
        )

    def kind_of(self, fd: dict) -> str:
        if fd["type"] in (11, 14) and fd["type_name"]:
            pkg, _, msg = fd["type_name"].lstrip(".").rpartition(".")
            while pkg and f"{short(pkg)}.{msg}" not in self.messages:  # nested: Outer.Inner
                pkg, _, outer = pkg.rpartition(".")
                msg = f"{outer}.{msg}"
            return f".{short(pkg)}.{msg}" if fd["type"] == 11 else "int32"
        return TYPES[fd["type"]]

    def spec(self, message: str, fd: dict) -> tuple[str, list[str]]:
        """One field's ``number jsonName type flags`` and the messages it refers to."""
        kind, flags, refs = self.kind_of(fd), "", []
        if fd.get("label") == 3:
            flags += "r"
        if kind.startswith(".") and self.messages.get(kind[1:], ([], False))[1]:
            entry = self.messages[kind[1:]][0]
            key = next(self.kind_of(f) for f in entry if f["number"] == 1)
            val = next(self.kind_of(f) for f in entry if f["number"] == 2)
            kind, flags = f"{key},{val}", "m"
            refs = [k[1:] for k in (key, val) if k.startswith(".")]
        elif kind.startswith("."):
            refs = [kind[1:]]
        cands = self.tag_index.get((fd["name"], fd["number"]), set())
        json_names = {j for j, _ in cands}
        json_name = json_names.pop() if len(json_names) == 1 else fd["name"]
        if json_name == "" or (fd["name"], fd["number"]) == ("ephemeralContainerCommon", 1):
            flags, json_name = flags + "i", "-"
        omitempty = all(o for _, o in cands) if cands else True
        omitempty = omitempty or json_name in OMITEMPTY.get(message, "").split()
        scalar = kind in ("bool", "int32", "int64")
        pointer = json_name in POINTERS.get(message, "").split()
        if pointer or (not omitempty and scalar and "r" not in flags):
            flags += "k"
        elif "r" in flags and cands and not any(o for _, o in cands):
            flags += "k"  # a nil slice without omitempty marshals to null
        return f"{fd['number']} {json_name} {kind}" + (f" {flags}" if flags else ""), refs

    def lines(self) -> list[str]:
        """The ``_MESSAGES`` text: every message reachable from the roots, wrapped at 99."""
        seen: set[str] = set()
        todo, lines = self.roots(), []
        while todo:
            name = todo.pop(0)
            if name in seen or name in SPECIAL:
                continue
            seen.add(name)
            flds = self.messages[name][0]
            known = {f["name"] for f in flds} | {
                j for f in flds for j, _ in self.tag_index.get((f["name"], f["number"]), ())
            }
            missing = set(POINTERS.get(name, "").split()) - known
            assert not missing, f"POINTERS names unknown fields of {name}: {missing}"
            lines.append(name)
            row = " "
            for fd in flds:
                spec, refs = self.spec(name, fd)
                todo.extend(refs)
                if len(row) + len(spec) + 2 > 99:
                    lines.append(row.rstrip())
                    row = " "
                row += f" {spec};"
            lines.append(row.rstrip())
        missing_messages = set(POINTERS) - seen
        assert not missing_messages, f"POINTERS names unknown messages: {missing_messages}"
        return lines

    def kinds(self) -> list[str]:
        out = []
        for root in self.roots():
            group, _, kind = root.rpartition(".")
            out.append(f"{GROUPS[group]} {kind}")
        return sorted(out)


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else shutil.which("kubectl")
    assert path, "kubectl not found"
    tables = Tables(Path(path).read_bytes())
    render(tables.lines(), tables.kinds())


def render(lines: list[str], kinds: list[str]) -> None:
    text = OUT.read_text()
    start = text.index('_MESSAGES = """\n') + len('_MESSAGES = """\n')
    end = text.index('"""', start)
    text = text[:start] + "\n".join(lines) + "\n" + text[end:]
    start = text.index('_KINDS = """\n') + len('_KINDS = """\n')
    end = text.index('"""', start)
    text = text[:start] + "\n".join(kinds) + "\n" + text[end:]
    OUT.write_text(text)


if __name__ == "__main__":
    main()
