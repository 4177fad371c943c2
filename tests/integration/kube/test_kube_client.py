"""The client against the local cluster: connect, every verb, apply flavours, dry-run, errors."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml

from kaiun.kube import ClusterConfig, KubeClient, errors, from_cluster_secret, from_kubeconfig
from kaiun.localcluster import LocalCluster
from tests.integration.kube.conftest import InterceptingTransport, run
from tests.support import Kubectl, crd_manifest


def _cm(ns: str, name: str, data: dict[str, str], **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, **meta},
        "data": data,
    }


def _deployment(ns: str, name: str, containers: list[dict[str, Any]]) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}},
        },
    }


def _kubectl_json(kubectl: Kubectl, *args: str) -> Any:
    return json.loads(kubectl(*args, "-o", "json"))


def test_connect_via_kubeconfig_and_discover(kube_config: ClusterConfig) -> None:
    async def body() -> tuple[dict[str, Any], list[str]]:
        async with await KubeClient.connect(kube_config) as client:
            version = await client.get_path("/version")
            kinds = [f"{i.group}/{i.kind}" for i in await client.discovery.preferred()]
            return version, kinds

    version, kinds = run(body())
    assert version["major"] == "1"
    assert {
        "apps/Deployment",
        "/ConfigMap",
        "apiextensions.k8s.io/CustomResourceDefinition",
    } <= set(kinds)


def test_connect_via_argocd_cluster_secret(
    local_cluster: LocalCluster, kubectl: Kubectl, namespace: str
) -> None:
    conf = {
        "bearerToken": local_cluster.token,
        "tlsClientConfig": {"caData": base64.b64encode(local_cluster.ca.read_bytes()).decode()},
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "local",
            "namespace": namespace,
            "labels": {"argocd.argoproj.io/secret-type": "cluster"},
        },
        "stringData": {"name": "local", "server": local_cluster.url, "config": json.dumps(conf)},
    }
    kubectl("apply", "-f", "-", input=json.dumps(secret))
    stored = _kubectl_json(kubectl, "get", "secret", "local", "-n", namespace)

    async def body() -> list[str]:
        async with await KubeClient.connect(from_cluster_secret(stored)) as client:
            listed = await client.list("v1", "Namespace")
            return [n["metadata"]["name"] for n in listed.items]

    assert namespace in run(body())


def test_exec_credential_plugin(local_cluster: LocalCluster, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    plugin = tmp_path / "plugin.sh"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": local_cluster.token, "expirationTimestamp": "2999-01-01T00:00:00Z"},
    }
    plugin.write_text(
        f"#!/bin/sh\necho run >> {runs}\n"
        f'test -n "$KUBERNETES_EXEC_INFO" || exit 3\n'
        f"cat <<'EOF'\n{json.dumps(credential)}\nEOF\n"
    )
    plugin.chmod(0o755)
    doc = yaml.safe_load(local_cluster.kubeconfig.read_text())
    doc["users"][0]["user"] = {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin)}
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))

    async def body() -> None:
        async with await KubeClient.connect(from_kubeconfig(path)) as client:
            await client.get("v1", "Namespace", "default")
            await client.get("v1", "Namespace", "kube-system")

    run(body())
    # One run serves every request until the credential expires.
    assert runs.read_text().count("run") == 1


def test_exec_plugin_failure_is_a_config_error(kube_config: ClusterConfig, tmp_path: Path) -> None:
    plugin = tmp_path / "broken.sh"
    plugin.write_text("#!/bin/sh\necho 'token expired, run login' >&2\nexit 1\n")
    plugin.chmod(0o755)
    cfg = dataclasses.replace(
        kube_config, token=None, exec=dataclasses.replace(_exec(str(plugin)), install_hint="")
    )
    with pytest.raises(errors.ConfigError, match="failed \\(1\\): token expired, run login"):
        run(KubeClient.connect(cfg))
    missing = dataclasses.replace(cfg, exec=_exec(str(tmp_path / "absent")))
    with pytest.raises(errors.ConfigError, match="cannot run"):
        run(KubeClient.connect(missing))


def _exec(command: str) -> Any:
    from kaiun.kube import ExecConfig

    return ExecConfig(command=command, install_hint="see docs")


def test_server_side_apply_conflicts_and_force(kube_config: ClusterConfig, namespace: str) -> None:
    async def body() -> tuple[dict[str, Any], errors.Conflict, dict[str, Any], dict[str, Any]]:
        async with await KubeClient.connect(kube_config) as client:
            first = await client.apply(_cm(namespace, "ssa", {"a": "1"}), field_manager="kaiun")
            try:
                await client.apply(_cm(namespace, "ssa", {"a": "2"}), field_manager="other")
                raise AssertionError("no conflict")
            except errors.Conflict as exc:
                conflict = exc
            dry = await client.apply(
                _cm(namespace, "ssa", {"a": "3"}), field_manager="other", force=True, dry_run=True
            )
            forced = await client.apply(
                _cm(namespace, "ssa", {"a": "2"}), field_manager="other", force=True
            )
            return first, conflict, dry, forced

    first, conflict, dry, forced = run(body())
    assert [m["manager"] for m in first["metadata"]["managedFields"]] == ["kaiun"]
    assert conflict.code == 409 and "data.a" in str(conflict)
    assert dry["data"] == {"a": "3"}
    assert forced["data"] == {"a": "2"}
    assert forced["metadata"]["resourceVersion"] != dry["metadata"]["resourceVersion"]


def test_client_side_apply_is_three_way_and_kubectl_compatible(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    containers = [{"name": "app", "image": "nginx:1"}, {"name": "side", "image": "busybox:1"}]

    async def apply(obj: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
        async with await KubeClient.connect(kube_config) as client:
            return await client.apply_client_side(obj, dry_run=dry_run)

    run(apply(_deployment(namespace, "web", containers)))
    # kubectl agrees that the live object is what was applied.
    out = kubectl("apply", "-f", "-", input=json.dumps(_deployment(namespace, "web", containers)))
    assert "unchanged" in out
    # Another writer's change to a field the config never set survives the next apply.
    kubectl("label", "deployment", "web", "-n", namespace, "team=blue")
    dry = run(apply(_deployment(namespace, "web", containers[:1]), dry_run=True))
    assert [c["name"] for c in dry["spec"]["template"]["spec"]["containers"]] == ["app"]
    live = _kubectl_json(kubectl, "get", "deployment", "web", "-n", namespace)
    assert len(live["spec"]["template"]["spec"]["containers"]) == 2
    run(apply(_deployment(namespace, "web", [{"name": "app", "image": "nginx:2"}])))
    live = _kubectl_json(kubectl, "get", "deployment", "web", "-n", namespace)
    spec = live["spec"]["template"]["spec"]
    assert [(c["name"], c["image"]) for c in spec["containers"]] == [("app", "nginx:2")]
    assert spec["containers"][0]["imagePullPolicy"] == "IfNotPresent"  # server default kept
    assert live["metadata"]["labels"] == {"team": "blue"}


def test_client_side_apply_after_kubectl_apply(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    kubectl("apply", "-f", "-", input=json.dumps(_cm(namespace, "cfg", {"a": "1", "b": "2"})))

    async def body() -> dict[str, Any]:
        async with await KubeClient.connect(kube_config) as client:
            return await client.apply_client_side(_cm(namespace, "cfg", {"a": "1"}))

    result = run(body())
    assert result["data"] == {"a": "1"}
    assert "unchanged" in kubectl(
        "apply", "-f", "-", input=json.dumps(_cm(namespace, "cfg", {"a": "1"}))
    )


def test_patch_types_and_dry_run(kube_config: ClusterConfig, namespace: str) -> None:
    async def body() -> list[Any]:
        async with await KubeClient.connect(kube_config) as client:
            dep = _deployment(namespace, "p", [{"name": "app", "image": "nginx:1"}])
            await client.create(dep)
            seen = [await client.create(_cm(namespace, "dry", {"a": "1"}), dry_run=True)]
            try:
                await client.get("v1", "ConfigMap", "dry", namespace)
            except errors.NotFound as exc:
                seen.append(exc)
            args = ("apps/v1", "Deployment", "p")
            strategic = {
                "spec": {
                    "template": {"spec": {"containers": [{"name": "app", "image": "nginx:2"}]}}
                }
            }
            seen.append(
                await client.patch(*args, strategic, namespace=namespace, patch_type="strategic")
            )
            seen.append(await client.patch(*args, {"spec": {"replicas": 3}}, namespace=namespace))
            ops = [{"op": "replace", "path": "/spec/replicas", "value": 5}]
            seen.append(
                await client.patch(*args, ops, namespace=namespace, patch_type="json", dry_run=True)
            )
            seen.append((await client.get(*args, namespace=namespace))["spec"]["replicas"])
            # replace on a kind no controller writes to, so the resourceVersion stays ours
            cm = await client.create(_cm(namespace, "rep", {"a": "1"}))
            current = {**cm, "data": {"a": "2"}}
            seen.append(await client.replace(current))
            try:
                await client.replace({**cm, "data": {"a": "3"}})  # cm's resourceVersion is stale
            except errors.Conflict as exc:
                seen.append(exc)
            return seen

    dry, not_found, strategic, merged, json_dry, after, replaced, conflict = run(body())
    assert dry["metadata"]["name"] == "dry" and isinstance(not_found, errors.NotFound)
    assert "not found" in str(not_found)
    assert strategic["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
    assert merged["spec"]["replicas"] == 3
    assert json_dry["spec"]["replicas"] == 5 and after == 3
    assert replaced["data"] == {"a": "2"}
    assert isinstance(conflict, errors.Conflict)


def _owned(
    kind: str, api_version: str, name: str, owner: dict[str, Any], ns: str, body: dict[str, Any]
) -> dict[str, Any]:
    ref = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
    }
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": ns, "ownerReferences": [ref]},
        **body,
    }


def test_delete_propagation_and_dry_run(kube_config: ClusterConfig, namespace: str) -> None:
    async def body() -> tuple[bool, bool, list[dict[str, Any]], bool]:
        async with await KubeClient.connect(kube_config) as client:
            parent = await client.create(_cm(namespace, "parent", {}))
            await client.create(_owned("ConfigMap", "v1", "child", parent, namespace, {"data": {}}))
            await client.delete("v1", "ConfigMap", "parent", namespace=namespace, dry_run=True)
            still = bool(await client.get("v1", "ConfigMap", "parent", namespace))
            await client.delete(
                "v1", "ConfigMap", "parent", namespace=namespace, propagation="Orphan"
            )
            try:
                await client.get("v1", "ConfigMap", "parent", namespace)
                parent_gone = False
            except errors.NotFound:
                parent_gone = True
            orphans = (
                await client.list(
                    "v1", "ConfigMap", namespace, field_selector="metadata.name=child"
                )
            ).items
            parent2 = await client.create(_cm(namespace, "parent2", {}))
            await client.create(
                _owned("ConfigMap", "v1", "child2", parent2, namespace, {"data": {}})
            )
            await client.delete(
                "v1", "ConfigMap", "parent2", namespace=namespace, propagation="Foreground"
            )
            for _ in range(100):
                left = await client.list(
                    "v1", "ConfigMap", namespace, field_selector="metadata.name=child2"
                )
                if not left.items:
                    return still, parent_gone, orphans, True
                await asyncio.sleep(0.05)
            return still, parent_gone, orphans, False

    import asyncio

    still, parent_gone, orphans, child_collected = run(body())
    assert still and parent_gone
    assert len(orphans) == 1 and not orphans[0]["metadata"].get("ownerReferences")
    assert child_collected


def test_typed_errors_carry_the_status(kube_config: ClusterConfig, namespace: str) -> None:
    async def body() -> list[errors.APIError]:
        seen: list[errors.APIError] = []
        async with await KubeClient.connect(kube_config) as client:
            await client.create(_cm(namespace, "dup", {}))
            for call in (
                client.create(_cm(namespace, "dup", {})),
                client.create(_cm(namespace, "Bad_Name", {})),
                client.get("v1", "ConfigMap", "absent", namespace),
                client.get("example.com/v1", "Nope", "x", namespace),
            ):
                try:
                    await call
                except errors.APIError as exc:
                    seen.append(exc)
        return seen

    dup, invalid, missing, unknown_kind = run(body())
    assert isinstance(dup, errors.AlreadyExists) and dup.reason == "AlreadyExists"
    assert isinstance(invalid, errors.Invalid) and invalid.details.get("causes")
    assert isinstance(missing, errors.NotFound) and 'configmaps "absent" not found' in str(missing)
    assert isinstance(unknown_kind, errors.NotFound)
    assert "does not serve Nope in example.com/v1" in str(unknown_kind)


def test_discovery_sees_a_crd_added_later(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    group = f"{namespace}.example.com"

    async def before() -> bool:
        async with await KubeClient.connect(kube_config) as client:
            return await client.discovery.preferred_for(group, "Widget") is not None

    assert not run(before())
    kubectl("apply", "-f", "-", input=_widget_crd(namespace))

    async def after() -> tuple[dict[str, Any], bool, bool]:
        async with await KubeClient.connect(kube_config) as client:
            await client.discovery.refresh()
            listed_before = await client.discovery.preferred_for("x" + group, "Widget") is not None
            obj = {
                "apiVersion": f"{group}/v1",
                "kind": "Widget",
                "metadata": {"name": "w", "namespace": namespace},
                "spec": {"size": 1},
            }
            created = await client.apply_client_side(obj)
            obj["spec"] = {"color": "red"}
            updated = await client.apply_client_side(obj)
            assert updated["spec"] == {"color": "red"}
            return (
                created,
                listed_before,
                await client.discovery.preferred_for(group, "Widget") is not None,
            )

    created, wrong_group, found = run(after())
    assert created["kind"] == "Widget" and found and not wrong_group


def test_discovery_refreshes_on_unknown_kind(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    group = f"{namespace}.example.com"

    async def body() -> str:
        async with await KubeClient.connect(kube_config) as client:
            await client.discovery.refresh()
            kubectl("apply", "-f", "-", input=_widget_crd(namespace))
            # The cached discovery predates the CRD; the lookup refreshes it once.
            listed = await client.list(f"{group}/v1", "Widget", namespace)
            return listed.resource_version

    assert run(body())


def test_wrong_ca_expired_token_and_server_down(kube_config: ClusterConfig, tmp_path: Path) -> None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "other-ca")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    other_ca = cert.public_bytes(serialization.Encoding.PEM).decode()

    async def attempt(cfg: ClusterConfig) -> errors.KubeError:
        async with await KubeClient.connect(cfg, request_timeout=5) as client:
            try:
                await client.get_path("/api")
            except errors.KubeError as exc:
                return exc
        raise AssertionError("request succeeded")

    wrong_ca = run(attempt(dataclasses.replace(kube_config, ca_data=other_ca)))
    assert isinstance(wrong_ca, errors.Unreachable)
    assert "TLS certificate verification failed" in str(wrong_ca)
    expired = run(attempt(dataclasses.replace(kube_config, token="expired-token-xyz")))
    assert isinstance(expired, errors.Unauthorized)
    assert "authentication failed" in str(expired) and "expired-token-xyz" not in str(expired)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = run(attempt(dataclasses.replace(kube_config, server=f"https://127.0.0.1:{port}")))
    assert isinstance(down, errors.Unreachable)
    assert f"127.0.0.1:{port}" in str(down) and "connection failed" in str(down)
    assert kube_config.token is not None and kube_config.token not in str(down)
    # A CA that is not PEM is a configuration error, not a crash.
    with pytest.raises(errors.ConfigError, match="CA data is not a PEM"):
        run(KubeClient.connect(dataclasses.replace(kube_config, ca_data="garbage")))
    assert orjson.dumps(str(wrong_ca))


def test_tls_server_name(kube_config: ClusterConfig) -> None:
    async def version(cfg: ClusterConfig) -> str:
        async with await KubeClient.connect(cfg, request_timeout=5) as client:
            return str((await client.get_path("/version"))["major"])

    # The certificate names kubernetes.default.svc, not the address we dial.
    named = dataclasses.replace(kube_config, tls_server_name="kubernetes.default.svc")
    assert run(version(named)) == "1"
    wrong = dataclasses.replace(kube_config, tls_server_name="api.elsewhere.example")
    with pytest.raises(errors.Unreachable, match="TLS certificate verification failed"):
        run(version(wrong))


def test_list_pages_watch_replace_dry_run_and_insecure(
    kube_config: ClusterConfig, local_cluster: LocalCluster, namespace: str
) -> None:
    class CountLists(InterceptingTransport):
        """Real HTTPS; remembers the ``limit``/``continue`` of each ConfigMap list."""

        def __init__(self, ca: Path) -> None:
            super().__init__(ca)
            self.pages: list[tuple[str | None, bool]] = []

        def intercept(self, request: httpx.Request) -> httpx.Response | None:
            params = request.url.params
            listing = request.method == "GET" and not params.get("watch")
            if listing and request.url.path.endswith("/configmaps"):
                self.pages.append((params.get("limit"), "continue" in params))
            return None

    transport = CountLists(local_cluster.ca)

    async def body() -> tuple[Any, ...]:
        async with await KubeClient.connect(kube_config, transport=transport) as client:
            for n in range(5):
                await client.create(_cm(namespace, f"c{n}", {"n": str(n)}, labels={"p": "y"}))
            listed = await client.list(
                "v1", "ConfigMap", namespace, label_selector="p=y", page_size=2
            )
            info = await client.info("v1", "ConfigMap")
            await client.create(_cm(namespace, "late", {}))
            events = []
            async for event in client.watch(
                info, namespace=namespace, resource_version=listed.resource_version,
                timeout_seconds=5,
            ):  # fmt: skip
                events.append((event["type"], event["object"]["metadata"]["name"]))
                break
            cm = await client.get("v1", "ConfigMap", "c0", namespace)
            dry = await client.replace({**cm, "data": {"n": "dry"}}, dry_run=True)
            after = await client.get("v1", "ConfigMap", "c0", namespace)
        # insecure-skip-tls-verify: no CA at all, and the connection still works.
        insecure = dataclasses.replace(kube_config, ca_data=None, insecure=True)
        async with await KubeClient.connect(insecure) as client:
            version = await client.get_path("/version")
        return listed, events, dry, after, version

    listed, events, dry, after, version = run(body())
    assert sorted(o["metadata"]["name"] for o in listed.items) == [f"c{n}" for n in range(5)]
    assert transport.pages == [("2", False), ("2", True), ("2", True)]
    assert events == [("ADDED", "late")]  # from the list's resourceVersion: only what came after
    assert dry["data"] == {"n": "dry"} and after["data"] == {"n": "0"}
    assert version["major"] == "1"


def _widget_crd(namespace: str) -> str:
    return yaml.safe_dump(
        crd_manifest(f"{namespace}.example.com", "Widget", "widgets", singular="widget")
    )
