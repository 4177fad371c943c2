"""Decoding Kubernetes protobuf request bodies into the dicts the JSON API would receive."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaiun.localcluster import protobuf, protobuf_types
from kaiun.localcluster.errors import BadRequest, UnsupportedMediaType

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "kubectl_protobuf.json").read_text())
CASES = FIXTURE["cases"]


# A minimal encoder, only to build test messages; the server never encodes protobuf.
def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def field_bytes(number: int, value: bytes | str) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(raw)) + raw


def envelope(api_version: str, kind: str, raw: bytes, encoding: str = "") -> bytes:
    type_meta = field_bytes(1, api_version) + field_bytes(2, kind)
    body = field_bytes(1, type_meta) + field_bytes(2, raw)
    if encoding:
        body += field_bytes(3, encoding)
    return protobuf.MAGIC + body


def meta(name: str, **extra: bytes) -> bytes:
    return field_bytes(1, field_bytes(1, name) + b"".join(extra.values()))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_kubectl_body_decodes_to_what_dry_run_json_prints(case: dict[str, Any]) -> None:
    # The oracle: the same kubectl command with --dry-run=client -o json (see
    # scripts/capture_kubectl_protobuf.py, which captured both from real kubectl).
    body = base64.b64decode(case["body"])
    assert protobuf.decode_object(body) == case["expected"]


def test_fixture_covers_every_generator_command() -> None:
    verbs = {" ".join(c["args"][:2]) for c in CASES}
    wanted = {
        "create namespace",
        "create configmap",
        "create secret",
        "create deployment",
        "create service",
        "create serviceaccount",
        "create job",
        "create cronjob",
        "create role",
        "create rolebinding",
        "create clusterrole",
        "create clusterrolebinding",
        "create ingress",
        "create pdb",
        "create priorityclass",
        "create quota",
    }
    assert wanted <= verbs


def test_json_body_is_the_decoded_object_as_json() -> None:
    case = next(c for c in CASES if c["name"] == "deployment")
    out = protobuf.json_body(base64.b64decode(case["body"]))
    assert json.loads(out) == case["expected"]


def test_secret_data_comes_back_base64_exactly() -> None:
    raw = bytes(range(256))
    entry = field_bytes(1, "blob") + field_bytes(2, raw)
    body = envelope("v1", "Secret", meta("s") + field_bytes(2, entry))
    obj = protobuf.decode_object(body)
    assert base64.b64decode(obj["data"]["blob"]) == raw


def test_pointer_zero_is_kept_and_non_pointer_zero_dropped() -> None:
    # DeploymentSpec.replicas is *int32 (0 means zero replicas); minReadySeconds is not a
    # pointer, so the zero kubectl always writes must vanish as JSON omitempty would.
    spec = field_varint(1, 0) + field_varint(5, 0) + field_varint(7, 0)
    obj = protobuf.decode_object(
        envelope("apps/v1", "Deployment", meta("d") + field_bytes(2, spec))
    )
    assert obj["spec"] == {"replicas": 0}


def test_negative_int32_uses_ten_byte_varint() -> None:
    # PodSpec.priority (*int32) = -5, written as a sign-extended 64-bit varint.
    pod_spec = field_varint(25, -5)
    obj = protobuf.decode_object(envelope("v1", "Pod", meta("p") + field_bytes(2, pod_spec)))
    assert obj["spec"]["priority"] == -5


def test_time_and_microtime_render_rfc3339() -> None:
    stamp = field_varint(1, 1_700_000_000) + field_varint(2, 123_456_789)
    deletion = field_bytes(9, stamp)
    obj = protobuf.decode_object(envelope("v1", "ConfigMap", meta("c", d=deletion)))
    assert obj["metadata"]["deletionTimestamp"] == "2023-11-14T22:13:20Z"
    event_time = field_bytes(10, stamp)
    event = protobuf.decode_object(envelope("v1", "Event", meta("e") + event_time))
    assert event["eventTime"] == "2023-11-14T22:13:20.123456Z"


def test_zero_time_is_null_like_json() -> None:
    obj = protobuf.decode_object(envelope("v1", "ConfigMap", meta("c", t=field_bytes(8, b""))))
    assert obj["metadata"] == {"name": "c", "creationTimestamp": None}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (field_varint(1, 0) + field_varint(2, 8080), 8080),
        (field_varint(1, 1) + field_bytes(3, "http"), "http"),
        (field_varint(1, 1) + field_bytes(3, "50%"), "50%"),
        (b"", 0),
    ],
)
def test_int_or_string(raw: bytes, expected: int | str) -> None:
    port = field_bytes(1, "p") + field_varint(3, 80) + field_bytes(4, raw)  # ServicePort
    spec = field_bytes(1, port)
    obj = protobuf.decode_object(envelope("v1", "Service", meta("s") + field_bytes(2, spec)))
    assert obj["spec"]["ports"][0]["targetPort"] == expected


def test_quantity_map_and_inline_handler() -> None:
    limits = field_bytes(1, "cpu") + field_bytes(2, field_bytes(1, "250m"))
    resources = field_bytes(1, limits)
    http_get = field_bytes(1, "/healthz") + field_bytes(2, field_varint(1, 0) + field_varint(2, 81))
    probe = field_bytes(1, field_bytes(2, http_get)) + field_varint(2, 0) + field_varint(4, 10)
    container = field_bytes(1, "c") + field_bytes(8, resources) + field_bytes(10, probe)
    pod_spec = field_bytes(2, container)
    obj = protobuf.decode_object(envelope("v1", "Pod", meta("p") + field_bytes(2, pod_spec)))
    (got,) = obj["spec"]["containers"]
    assert got["resources"] == {"limits": {"cpu": "250m"}}
    # Probe embeds ProbeHandler inline: httpGet sits beside periodSeconds in JSON.
    assert got["livenessProbe"] == {
        "httpGet": {"path": "/healthz", "port": 81},
        "periodSeconds": 10,
    }


def test_packed_repeated_scalars() -> None:
    # Kubernetes writes repeated ints unpacked, but a packed encoding must read the same.
    packed = varint(1) + varint(2) + varint(3)
    groups = field_bytes(4, packed)  # PodSecurityContext.supplementalGroups
    pod_spec = field_bytes(14, groups)
    obj = protobuf.decode_object(envelope("v1", "Pod", meta("p") + field_bytes(2, pod_spec)))
    assert obj["spec"]["securityContext"]["supplementalGroups"] == [1, 2, 3]


@pytest.mark.parametrize(
    ("nanos", "text"),
    [
        (0, "0s"),
        (1_500_000_000, "1.5s"),
        (90 * 10**9, "1m30s"),
        (3_600 * 10**9, "1h0m0s"),
        (2_000_000, "2ms"),
        (-(10**9), "-1s"),
    ],
)
def test_duration_matches_go(nanos: int, text: str) -> None:
    assert protobuf._go_duration(nanos) == text


def test_embedded_json_in_raw_extension() -> None:
    raw = field_bytes(1, b'{"a":[1,2]}')
    body = envelope("apps/v1", "ControllerRevision", meta("r") + field_bytes(2, raw))
    assert protobuf.decode_object(body)["data"] == {"a": [1, 2]}


def test_unknown_fields_are_skipped_like_json_drops_them() -> None:
    extra = field_varint(999, 7) + field_bytes(998, "x")
    raw = meta("c") + extra + field_bytes(2, field_bytes(1, "k") + field_bytes(2, "v"))
    obj = protobuf.decode_object(envelope("v1", "ConfigMap", raw))
    assert obj == {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": "c"},
        "data": {"k": "v"},
    }


def test_fixed_width_wire_types_are_read() -> None:
    msg = varint(1 << 3 | 1) + struct.pack("<d", 2.5) + varint(2 << 3 | 5) + struct.pack("<I", 7)
    assert list(protobuf.fields(msg)) == [
        (1, 1, int.from_bytes(struct.pack("<d", 2.5), "little")),
        (2, 5, 7),
    ]


@given(st.integers(min_value=0, max_value=(1 << 64) - 1), st.integers(1, 536_870_911))
def test_varint_round_trip(value: int, number: int) -> None:
    assert list(protobuf.fields(field_varint(number, value))) == [(number, 0, value)]


@given(st.binary(max_size=96), st.sampled_from(["Pod", "Service", "Deployment", "Secret"]))
def test_garbage_objects_decode_or_raise_protobuf_error(data: bytes, kind: str) -> None:
    api_version = "apps/v1" if kind == "Deployment" else "v1"
    try:
        obj = protobuf.decode_object(envelope(api_version, kind, data))
    except protobuf.ProtobufError:
        return
    assert obj["kind"] == kind
    json.dumps(obj)  # whatever decodes must be JSON-serialisable


@pytest.mark.parametrize(
    "body",
    [
        b"\x0a\x02{}",  # no magic
        protobuf.MAGIC + b"\x0a\x05\x0a\x02v1",  # length runs past the end
        protobuf.MAGIC + b"\x08\xff\xff",  # truncated varint
        protobuf.MAGIC + b"\x0b",  # wire type 3 (groups) is not used by Kubernetes
    ],
)
def test_malformed_bodies_are_bad_requests(body: bytes) -> None:
    with pytest.raises(protobuf.ProtobufError):
        protobuf.decode_object(body)
    with pytest.raises(BadRequest):
        protobuf.json_body(body)


@pytest.mark.parametrize(
    ("api_version", "kind", "encoding"),
    [
        ("example.com/v1", "Widget", ""),  # custom resources never travel as protobuf
        ("v1", "NoSuchKind", ""),
        ("apps.example.com/v1", "Deployment", ""),  # same kind, another group
        ("v1", "ConfigMap", "gzip"),
    ],
)
def test_unknown_types_are_unsupported_media(api_version: str, kind: str, encoding: str) -> None:
    body = envelope(api_version, kind, meta("x"), encoding)
    with pytest.raises(protobuf.UnknownType):
        protobuf.decode_object(body)
    with pytest.raises(UnsupportedMediaType) as err:
        protobuf.json_body(body)
    assert err.value.code == 415


def test_tables_are_closed_and_field_numbers_match_generated_proto() -> None:
    layouts = protobuf_types._layouts()
    for name, layout in layouts.items():
        for json_name, kind, flags in layout.values():
            for part in kind.split(","):
                if part.startswith("."):
                    ref = part[1:]
                    assert ref in layouts or ref in protobuf_types.SPECIAL, (name, json_name)
            assert set(flags) <= set("rmik"), (name, json_name)
    # Spot checks against k8s.io/api and k8s.io/apimachinery generated.proto.
    assert layouts["meta.v1.ObjectMeta"][17][:2] == ("managedFields", ".meta.v1.ManagedFieldsEntry")
    assert layouts["meta.v1.ObjectMeta"][11] == ("labels", "string,string", "m")
    assert layouts["core.v1.PodSpec"][2][:2] == ("containers", ".core.v1.Container")
    assert layouts["core.v1.Container"][14][0] == "imagePullPolicy"
    assert layouts["core.v1.ServicePort"][4][:2] == ("targetPort", ".intstr.IntOrString")
    assert layouts["rbac.v1.Subject"][2][0] == "apiGroup"
    assert layouts["networking.v1.IngressRule"][2][2] == "i"
    assert layouts["core.v1.Secret"][2] == ("data", "string,bytes", "m")
    # All of k8s.io/api rbac/v1 generated.proto, message by message.
    rbac = {
        "AggregationRule": {1: "clusterRoleSelectors"},
        "ClusterRole": {1: "metadata", 2: "rules", 3: "aggregationRule"},
        "ClusterRoleBinding": {1: "metadata", 2: "subjects", 3: "roleRef"},
        "PolicyRule": {
            1: "verbs",
            2: "apiGroups",
            3: "resources",
            4: "resourceNames",
            5: "nonResourceURLs",
        },
        "Role": {1: "metadata", 2: "rules"},
        "RoleBinding": {1: "metadata", 2: "subjects", 3: "roleRef"},
        "RoleRef": {1: "apiGroup", 2: "kind", 3: "name"},
        "Subject": {1: "kind", 2: "apiGroup", 3: "name", 4: "namespace"},
    }
    for message, numbers in rbac.items():
        layout = layouts[f"rbac.v1.{message}"]
        assert {n: spec[0] for n, spec in layout.items()} == numbers, message


def test_every_listed_kind_has_a_table() -> None:
    for api_version, kind in [
        ("v1", "Namespace"),
        ("v1", "Pod"),
        ("apps/v1", "StatefulSet"),
        ("batch/v1", "CronJob"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("networking.k8s.io/v1", "Ingress"),
        ("policy/v1", "PodDisruptionBudget"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ]:
        name = protobuf_types.kind_message(api_version, kind)
        assert name is not None and protobuf_types.message(name) is not None, kind


def test_wire_type_mismatch_is_malformed() -> None:
    # ObjectMeta.name (a string) sent as a varint must not turn into an int in the object.
    raw = field_bytes(1, field_varint(1, 5))
    with pytest.raises(protobuf.ProtobufError, match="wire type"):
        protobuf.decode_object(envelope("v1", "ConfigMap", raw))


def test_out_of_range_timestamp_is_malformed() -> None:
    stamp = field_bytes(9, field_varint(1, 1 << 62))
    with pytest.raises(protobuf.ProtobufError, match="out of range"):
        protobuf.decode_object(envelope("v1", "ConfigMap", meta("c", d=stamp)))


def test_map_entry_without_value_is_the_zero_value() -> None:
    hard = field_bytes(1, field_bytes(1, "pods"))  # ResourceQuotaSpec.hard{"pods": <absent>}
    obj = protobuf.decode_object(envelope("v1", "ResourceQuota", meta("q") + field_bytes(2, hard)))
    assert obj["spec"] == {"hard": {"pods": "0"}}


def test_message_graph_is_acyclic_so_nesting_depth_is_bounded() -> None:
    # Decoding recurses per nested message; without cycles a hostile body cannot recurse deeper
    # than the longest chain of types, whatever its size.
    layouts = protobuf_types._layouts()
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        state[name] = 1
        for _json, kind, _flags in layouts[name].values():
            for part in kind.split(","):
                ref = part[1:]
                if part.startswith(".") and ref in layouts:
                    assert state.get(ref) != 1, f"cycle through {name} -> {ref}"
                    if ref not in state:
                        visit(ref)
        state[name] = 2

    for name in layouts:
        if name not in state:
            visit(name)


def test_extra_value_wrapper_becomes_a_plain_list() -> None:
    # SubjectAccessReviewSpec.extra is map<string, ExtraValue{repeated string items}> in
    # protobuf but map[string][]string in JSON.
    extra = field_bytes(1, "scopes") + field_bytes(2, field_bytes(1, "a") + field_bytes(1, "b"))
    spec = field_bytes(3, "alice") + field_bytes(5, extra)
    body = envelope(
        "authorization.k8s.io/v1", "SubjectAccessReview", meta("") + field_bytes(2, spec)
    )
    obj = protobuf.decode_object(body)
    assert obj["spec"] == {"user": "alice", "extra": {"scopes": ["a", "b"]}}
    assert obj["metadata"] == {}


def test_delete_options_decode_under_any_group_version() -> None:
    opts = field_varint(1, 0) + field_varint(3, 0) + field_bytes(4, "Foreground")
    opts += field_bytes(5, "All")
    for api_version in ("v1", "apps/v1", "meta.k8s.io/v1"):
        obj = protobuf.decode_object(envelope(api_version, "DeleteOptions", opts))
        assert obj == {
            "kind": "DeleteOptions",
            "apiVersion": api_version,
            "gracePeriodSeconds": 0,  # a pointer: zero means "now", not "unset"
            "orphanDependents": False,
            "propagationPolicy": "Foreground",
            "dryRun": ["All"],
        }


def test_empty_body_stays_empty() -> None:
    assert protobuf.json_body(b"") == b""
