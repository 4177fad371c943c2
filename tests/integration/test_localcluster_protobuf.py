"""kubectl's typed generator commands (which POST protobuf) against the local cluster."""

from __future__ import annotations

import base64
import json
import ssl
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from kaiun.localcluster import LocalCluster
    from tests.support import Kubectl

# (id, kubectl args, object to read back). {ns} is the test's namespace, {u} a unique suffix
# for cluster-scoped names.
GENERATORS: list[tuple[str, list[str], str]] = [
    ("namespace", ["create", "namespace", "{u}-ns"], "namespace/{u}-ns"),
    ("configmap", ["create", "configmap", "cm", "--from-literal=a=b"], "configmap/cm"),
    (
        "secret",
        ["create", "secret", "generic", "s", "--from-literal=pw=s3cr3t", "--type=Opaque"],
        "secret/s",
    ),
    (
        "secret_docker",
        [
            "create",
            "secret",
            "docker-registry",
            "reg",
            "--docker-server=r.example",
            "--docker-username=u",
            "--docker-password=p",
        ],
        "secret/reg",
    ),
    (
        "deployment",
        ["create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=80"],
        "deployment/web",
    ),
    (
        "deployment_zero",
        ["create", "deployment", "zero", "--image=nginx", "--replicas=0"],
        "deployment/zero",
    ),
    (
        "service_clusterip",
        ["create", "service", "clusterip", "svc", "--tcp=5678:8080", "--tcp=80:http"],
        "service/svc",
    ),
    (
        "service_headless",
        ["create", "service", "clusterip", "hl", "--clusterip=None"],
        "service/hl",
    ),
    ("service_nodeport", ["create", "service", "nodeport", "np", "--tcp=80:8080"], "service/np"),
    (
        "service_externalname",
        ["create", "service", "externalname", "ext", "--external-name=example.com"],
        "service/ext",
    ),
    ("serviceaccount", ["create", "serviceaccount", "sa"], "serviceaccount/sa"),
    ("job", ["create", "job", "j", "--image=busybox", "--", "echo", "hi"], "job/j"),
    (
        "cronjob",
        ["create", "cronjob", "cj", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"],
        "cronjob/cj",
    ),
    (
        "role",
        ["create", "role", "r", "--verb=get,list", "--resource=pods,deployments.apps"],
        "role/r",
    ),
    (
        "rolebinding",
        ["create", "rolebinding", "rb", "--role=r", "--user=alice", "--serviceaccount={ns}:sa"],
        "rolebinding/rb",
    ),
    (
        "clusterrole",
        ["create", "clusterrole", "{u}-cr", "--verb=get", "--non-resource-url=/logs/*"],
        "clusterrole/{u}-cr",
    ),
    (
        "clusterrolebinding",
        ["create", "clusterrolebinding", "{u}-crb", "--clusterrole={u}-cr", "--group=devs"],
        "clusterrolebinding/{u}-crb",
    ),
    (
        "ingress",
        [
            "create",
            "ingress",
            "ing",
            "--class=nginx",
            "--rule=foo.com/bar*=svc:8080,tls=cert",
            "--default-backend=svc:80",
        ],
        "ingress/ing",
    ),
    (
        "pdb",
        ["create", "pdb", "pdb", "--selector=app=web", "--min-available=50%"],
        "poddisruptionbudget/pdb",
    ),
    (
        "priorityclass",
        ["create", "priorityclass", "{u}-pc", "--value=0", "--description=d"],
        "priorityclass/{u}-pc",
    ),
    ("quota", ["create", "quota", "q", "--hard=cpu=1,memory=1G,pods=2"], "resourcequota/q"),
    (
        "run",
        ["run", "p", "--image=nginx", "--labels=app=p", "--env=A=1", "--port=80", "--", "sleep"],
        "pod/p",
    ),
]


def _fill(text: str, ns: str, unique: str) -> str:
    return text.replace("{ns}", ns).replace("{u}", unique)


def _contains(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Where ``actual`` lacks or changes something ``expected`` (the dry-run object) has."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: {actual!r} is not an object"]
        problems = []
        for key, value in expected.items():
            if key in ("status", "creationTimestamp"):
                continue  # server-owned
            if key not in actual:
                problems.append(f"{path}.{key} missing")
            else:
                problems.extend(_contains(actual[key], value, f"{path}.{key}"))
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: {actual!r} != {expected!r}"]
        return [
            p
            for i, (a, e) in enumerate(zip(actual, expected, strict=True))
            for p in _contains(a, e, f"{path}[{i}]")
        ]
    return [] if actual == expected else [f"{path}: {actual!r} != {expected!r}"]


def _split_dashdash(args: list[str]) -> tuple[list[str], list[str]]:
    cut = args.index("--") if "--" in args else len(args)
    return args[:cut], args[cut:]


@pytest.mark.parametrize(("case", "args", "ref"), GENERATORS, ids=[g[0] for g in GENERATORS])
def test_generator_creates_what_its_json_would(
    kubectl: Kubectl, namespace: str, case: str, args: list[str], ref: str
) -> None:
    unique = uuid.uuid4().hex[:8]
    argv = [_fill(a, namespace, unique) for a in args]
    head, tail = _split_dashdash(argv)
    oracle = json.loads(kubectl("-n", namespace, *head, "--dry-run=client", "-o", "json", *tail))
    kubectl("-n", namespace, *argv)
    stored = json.loads(
        kubectl("-n", namespace, "get", _fill(ref, namespace, unique), "-o", "json")
    )
    assert stored["metadata"]["uid"]
    assert _contains(stored, oracle) == []


def test_specific_values_survive(kubectl: Kubectl, namespace: str) -> None:
    kubectl("-n", namespace, "create", "deployment", "zero", "--image=nginx", "--replicas=0")
    deploy = json.loads(kubectl("-n", namespace, "get", "deployment/zero", "-o", "json"))
    assert deploy["spec"]["replicas"] == 0  # a pointer zero, not the default of 1
    kubectl("-n", namespace, "create", "secret", "generic", "bin", "--from-literal=k=é\x01")
    secret = json.loads(kubectl("-n", namespace, "get", "secret/bin", "-o", "json"))
    assert base64.b64decode(secret["data"]["k"]).decode() == "é\x01"
    kubectl("-n", namespace, "create", "service", "clusterip", "s", "--tcp=80:http")
    svc = json.loads(kubectl("-n", namespace, "get", "service/s", "-o", "json"))
    assert svc["spec"]["ports"][0]["targetPort"] == "http"
    assert svc["spec"]["ports"][0]["port"] == 80


def test_expose_creates_a_service_for_a_deployment(kubectl: Kubectl, namespace: str) -> None:
    kubectl("-n", namespace, "create", "deployment", "web", "--image=nginx")
    out = kubectl("-n", namespace, "expose", "deployment", "web", "--port=80", "--target-port=8080")
    assert "service/web exposed" in out
    svc = json.loads(kubectl("-n", namespace, "get", "service/web", "-o", "json"))
    assert svc["spec"]["selector"] == {"app": "web"}
    assert svc["spec"]["ports"][0]["targetPort"] == 8080


def _post(lc: LocalCluster, namespace: str, body: bytes) -> httpx.Response:
    # Its own client: the shared ``api`` fixture passes verify=<str>, which httpx deprecates.
    with httpx.Client(verify=ssl.create_default_context(cafile=str(lc.ca)), timeout=30) as client:
        return client.post(
            f"{lc.url}/api/v1/namespaces/{namespace}/configmaps",
            content=body,
            headers={
                "Authorization": f"Bearer {lc.token}",
                "Content-Type": "application/vnd.kubernetes.protobuf",
            },
        )


def test_protobuf_errors_answer_status(
    local_cluster: LocalCluster, kubectl: Kubectl, namespace: str
) -> None:
    bad = _post(local_cluster, namespace, b"k8s\x00\x0a\x05\x0a\x02v1")  # truncated
    assert bad.status_code == 400
    assert bad.json()["reason"] == "BadRequest"
    # An envelope naming a kind with no message table: 415, as before protobuf was read.
    unknown = b"k8s\x00\x0a\x16\x0a\x0eexample.com/v1\x12\x04Thin"
    resp = _post(local_cluster, namespace, unknown)
    assert resp.status_code == 415
    assert resp.json()["reason"] == "UnsupportedMediaType"
    names = kubectl("-n", namespace, "get", "configmaps", "-o", "name").split()
    assert names == ["configmap/kube-root-ca.crt"]


def test_job_from_cronjob_keeps_its_owner_reference(kubectl: Kubectl, namespace: str) -> None:
    kubectl("-n", namespace, "create", "cronjob", "cj", "--image=busybox", "--schedule=0 * * * *")
    cronjob = json.loads(kubectl("-n", namespace, "get", "cronjob/cj", "-o", "json"))
    kubectl("-n", namespace, "create", "job", "manual", "--from=cronjob/cj")
    job = json.loads(kubectl("-n", namespace, "get", "job/manual", "-o", "json"))
    (owner,) = job["metadata"]["ownerReferences"]
    assert owner["uid"] == cronjob["metadata"]["uid"]
    assert owner["kind"] == "CronJob"
    assert owner["controller"] is True  # a *bool: must not be dropped as a zero
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"


def test_debug_copy_creates_the_copied_pod(kubectl: Kubectl, namespace: str) -> None:
    kubectl("-n", namespace, "run", "app", "--image=nginx", "--labels=app=a")
    kubectl("-n", namespace, "debug", "app", "--copy-to=app-debug", "--image=busybox", "--", "true")
    pod = json.loads(kubectl("-n", namespace, "get", "pod/app-debug", "-o", "json"))
    images = [c["image"] for c in pod["spec"]["containers"]]
    assert images[0] == "nginx"
    assert "busybox" in images[1:]
