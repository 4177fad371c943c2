"""The Secret-backed account store against the local cluster: the initial admin secret is
made once and never overwritten, password changes update the mtime and end older sessions,
API tokens are recorded, verified and revoked, concurrent writers do not lose tokens."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner

from kaiun.auth import (
    AccountError,
    AccountStore,
    InvalidLogin,
    InvalidToken,
    LoginThrottle,
    verify_password,
)
from kaiun.cli.main import cli
from kaiun.kube import ClusterConfig, KubeClient
from kaiun.localcluster import LocalCluster
from tests.support import Kubectl

T = TypeVar("T")
START = 1_900_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def _with_store(
    config: ClusterConfig, ns: str, body: Callable[[AccountStore], Awaitable[T]], clock: Clock
) -> T:
    async def main() -> T:
        async with asyncio.timeout(60):
            async with await KubeClient.connect(config) as kube:
                return await body(AccountStore(kube, ns, clock=clock, bcrypt_cost=4))

    return asyncio.run(main())


def _secret(kubectl: Kubectl, ns: str, name: str) -> dict[str, Any]:
    obj = json.loads(kubectl("get", "secret", name, "-n", ns, "-o", "json"))
    data = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
    return {"data": data, "resourceVersion": obj["metadata"]["resourceVersion"]}


def _argocd_cm(kubectl: Kubectl, ns: str, data: dict[str, str]) -> None:
    lines = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in data.items())
    meta = f"metadata:\n  name: argocd-cm\n  namespace: {ns}\n"
    manifest = f"apiVersion: v1\nkind: ConfigMap\n{meta}data:\n{lines}"
    kubectl("apply", "-f", "-", input=manifest)


def test_initial_admin_secret_is_created_once(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str, local_cluster: LocalCluster
) -> None:
    clock = Clock()
    _with_store(kube_config, namespace, lambda s: s.initialize(), clock)
    initial = _secret(kubectl, namespace, "argocd-initial-admin-secret")
    argocd = _secret(kubectl, namespace, "argocd-secret")
    password = initial["data"]["password"]
    assert len(password) == 16 and password.isalnum()
    assert verify_password(password, argocd["data"]["admin.password"])
    assert argocd["data"]["admin.passwordMtime"] == "2030-03-17T17:46:40Z"
    assert len(argocd["data"]["server.secretkey"]) >= 32
    assert password not in json.dumps(argocd)

    clock.now += 100
    _with_store(kube_config, namespace, lambda s: s.initialize(), clock)
    assert _secret(kubectl, namespace, "argocd-initial-admin-secret") == initial
    assert _secret(kubectl, namespace, "argocd-secret") == argocd

    result = CliRunner().invoke(
        cli,
        [
            "admin",
            "initial-password",
            "--kubeconfig",
            str(local_cluster.kubeconfig),
            "-n",
            namespace,
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == password

    kubectl("delete", "secret", "argocd-initial-admin-secret", "-n", namespace)
    _with_store(kube_config, namespace, lambda s: s.initialize(), clock)
    missing = kubectl("get", "secret", "-n", namespace, "-o", "name")
    assert "argocd-initial-admin-secret" not in missing
    assert _secret(kubectl, namespace, "argocd-secret") == argocd
    result = CliRunner().invoke(
        cli,
        [
            "admin",
            "initial-password",
            "--kubeconfig",
            str(local_cluster.kubeconfig),
            "-n",
            namespace,
        ],
    )
    assert result.exit_code == 1
    assert "not found" in result.output


def test_initial_secret_left_over_is_reused_not_replaced(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    kubectl(
        "create",
        "secret",
        "generic",
        "argocd-initial-admin-secret",
        "-n",
        namespace,
        "--from-literal=password=KeptFromBefore99",
    )
    _with_store(kube_config, namespace, lambda s: s.initialize(), Clock())
    assert _secret(kubectl, namespace, "argocd-initial-admin-secret")["data"] == {
        "password": "KeptFromBefore99"
    }
    hashed = _secret(kubectl, namespace, "argocd-secret")["data"]["admin.password"]
    assert verify_password("KeptFromBefore99", hashed)


def test_password_change_updates_mtime_and_ends_older_sessions(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    clock = Clock()
    throttle = LoginThrottle()

    async def body(store: AccountStore) -> None:
        await store.initialize()
        initial = await store.initial_password()
        assert initial is not None
        session = await store.login("admin", initial, throttle=throttle, expires_in=3600)
        manager = await store.session_manager()
        assert manager.verify(session, accounts=await store.accounts()).account == "admin"

        clock.now += 30
        with pytest.raises(AccountError, match="current password does not match"):
            await store.update_password(
                "admin", new_password="NewPassword-1", current_password="wrong-one"
            )
        with pytest.raises(AccountError, match="password policy"):
            await store.update_password("admin", new_password="short", current_password=initial)
        await store.update_password("admin", new_password="NewPassword-1", current_password=initial)
        with pytest.raises(InvalidToken, match="password has changed"):
            manager.verify(session, accounts=await store.accounts())
        with pytest.raises(InvalidLogin):
            await store.login("admin", initial, throttle=throttle)
        fresh = await store.login("admin", "NewPassword-1", throttle=throttle)
        assert manager.verify(fresh, accounts=await store.accounts()).account == "admin"

    _with_store(kube_config, namespace, body, clock)
    data = _secret(kubectl, namespace, "argocd-secret")["data"]
    assert data["admin.passwordMtime"] == "2030-03-17T17:47:10Z"
    assert verify_password("NewPassword-1", data["admin.password"])


def test_password_policy_comes_from_argocd_cm(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    _argocd_cm(kubectl, namespace, {"passwordPattern": "^.{20,}$"})

    async def body(store: AccountStore) -> None:
        await store.initialize()
        initial = await store.initial_password()
        assert initial is not None
        with pytest.raises(AccountError, match=r"pattern \^\.\{20,\}\$"):
            await store.update_password(
                "admin", new_password="only-15-chars!!", current_password=initial
            )
        await store.update_password(
            "admin", new_password="a-much-longer-password", current_password=initial
        )

    _with_store(kube_config, namespace, body, Clock())


def test_api_tokens_are_recorded_verified_and_revoked(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    _argocd_cm(kubectl, namespace, {"accounts.ci": "apiKey", "accounts.web": "login"})
    clock = Clock()

    async def body(store: AccountStore) -> str:
        await store.initialize()
        token = await store.create_token("ci", expires_in=600, token_id="build-1")
        manager = await store.session_manager()
        principal = manager.verify(token, accounts=await store.accounts())
        assert (principal.account, principal.capability, principal.token_id) == (
            "ci",
            "apiKey",
            "build-1",
        )
        with pytest.raises(AccountError, match="already has a token"):
            await store.create_token("ci", token_id="build-1")
        with pytest.raises(AccountError, match="apiKey capability"):
            await store.create_token("web")
        with pytest.raises(AccountError, match="does not exist"):
            await store.create_token("nobody")
        await store.delete_token("ci", "build-1")
        with pytest.raises(InvalidToken, match="revoked"):
            manager.verify(token, accounts=await store.accounts())
        with pytest.raises(AccountError, match="no token with id"):
            await store.delete_token("ci", "build-1")
        return await store.create_token("ci", expires_in=600, token_id="build-2")

    token = _with_store(kube_config, namespace, body, clock)
    stored = json.loads(_secret(kubectl, namespace, "argocd-secret")["data"]["accounts.ci.tokens"])
    assert stored == [{"id": "build-2", "iat": int(START), "exp": int(START) + 600}]
    assert token not in json.dumps(stored)


def test_concurrent_token_writers_lose_nothing(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    _argocd_cm(kubectl, namespace, {"accounts.ci": "apiKey"})

    async def body(store: AccountStore) -> None:
        await store.initialize()
        # A second store on the same Secret stands for another API server replica: its
        # writes conflict with this one's and must be retried, not lost.
        replica = AccountStore(store.kube, namespace, clock=Clock(), bcrypt_cost=4)
        await asyncio.gather(
            *(store.create_token("ci", token_id=f"t{i}") for i in range(6)),
            *(replica.create_token("ci", token_id=f"r{i}") for i in range(6)),
        )

    _with_store(kube_config, namespace, body, Clock())
    stored = json.loads(_secret(kubectl, namespace, "argocd-secret")["data"]["accounts.ci.tokens"])
    expected = sorted([f"t{i}" for i in range(6)] + [f"r{i}" for i in range(6)])
    assert sorted(t["id"] for t in stored) == expected
