"""Pull-secret forms resolved for real: Secrets in the local cluster, a script, the env."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from pathlib import Path

import pytest

from kaiun.controllers.imageupdater import appannotations, registries
from kaiun.controllers.imageupdater.check import CheckResult, ImageChecker
from kaiun.controllers.imageupdater.credentials import CredentialResolver
from kaiun.controllers.imageupdater.errors import CredentialsError
from kaiun.controllers.imageupdater.registries import RegistryConfig
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster
from tests.integration.imageupdater.conftest import USERS
from tests.registry_kit import Registry
from tests.support import Kubectl

PASSWORD = USERS["alice"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _secrets(kubectl: Kubectl, namespace: str, registry: Registry) -> None:
    dockerconfig = {"auths": {f"http://{registry.host}": {"auth": _b64(f"alice:{PASSWORD}")}}}
    docs = [
        {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
         "metadata": {"name": "regcred", "namespace": namespace},
         "data": {".dockerconfigjson": _b64(json.dumps(dockerconfig))}},
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {"name": "plain", "namespace": namespace},
         "data": {"creds": _b64(f"alice:{PASSWORD}\n"), "wrong": _b64("alice:nope")}},
    ]  # fmt: skip
    for doc in docs:
        kubectl("apply", "-f", "-", input=json.dumps(doc))


def _check(
    local_cluster: LocalCluster, registry: Registry, repo: str, reference: str, **kw: object
) -> CheckResult:
    notes = {
        appannotations.IMAGE_LIST: f"app={registry.host}/{repo}",
        appannotations.PREFIX + "app.pull-secret": reference,
    }
    parsed = appannotations.parse(notes)
    assert parsed is not None
    conf = registries.Registries((RegistryConfig("t", registry.host, registry.url),))

    async def go() -> CheckResult:
        async with await KubeClient.connect(from_kubeconfig(local_cluster.kubeconfig)) as kube:
            checker = ImageChecker(conf, CredentialResolver(kube=kube, **kw))  # type: ignore[arg-type]
            try:
                return await checker.check(parsed.images[0])
            finally:
                await checker.aclose()

    return asyncio.run(go())


@pytest.fixture
def repo(basic_registry: Registry) -> str:
    name = f"team/creds-{uuid.uuid4().hex[:8]}"
    basic_registry.pusher().image(name, "1.4.2", created="2024-01-01T00:00:00Z")
    return name


def test_pull_secret_forms(
    local_cluster: LocalCluster,
    kubectl: Kubectl,
    namespace: str,
    basic_registry: Registry,
    repo: str,
    tmp_path: Path,
) -> None:
    _secrets(kubectl, namespace, basic_registry)
    script = tmp_path / "creds.sh"
    script.write_text(f"#!/bin/sh\necho 'alice:{PASSWORD}'\n")
    script.chmod(0o755)
    env = {"REG": f"alice:{PASSWORD}"}
    for reference in (
        f"pullsecret:{namespace}/regcred",
        f"secret:{namespace}/plain#creds",
        f"ext:{script}",
        "env:REG",
    ):
        result = _check(local_cluster, basic_registry, repo, reference, environ=env)
        assert result.ok, (reference, result.error)
        assert result.choice is not None and result.choice.tag == "1.4.2"


def test_credential_failures_are_clear_and_secret_free(
    local_cluster: LocalCluster,
    kubectl: Kubectl,
    namespace: str,
    basic_registry: Registry,
    repo: str,
    tmp_path: Path,
) -> None:
    _secrets(kubectl, namespace, basic_registry)
    failing = tmp_path / "fail.sh"
    failing.write_text("#!/bin/sh\nexit 3\n")
    failing.chmod(0o755)
    cases = {
        f"pullsecret:{namespace}/missing": ("credentials", "not found"),
        f"secret:{namespace}/plain#absent": ("credentials", "no field 'absent'"),
        f"secret:{namespace}/plain#wrong": ("basic-auth", "check the username and password"),
        f"ext:{failing}": ("credentials", "exited with status 3"),
        "env:NOT_SET": ("credentials", "not set"),
    }
    for reference, (step, message) in cases.items():
        result = _check(local_cluster, basic_registry, repo, reference)
        assert (result.step, message in result.error) == (step, True), (reference, result.error)
        assert PASSWORD not in result.error and "nope" not in result.error


def test_pull_secret_without_an_entry_for_the_registry(
    local_cluster: LocalCluster, kubectl: Kubectl, namespace: str
) -> None:
    config = json.dumps({"auths": {"ghcr.io": {"auth": _b64("u:p")}}})
    doc = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "other", "namespace": namespace},
        "data": {".dockerconfigjson": _b64(config)},
    }
    kubectl("apply", "-f", "-", input=json.dumps(doc))

    async def go() -> None:
        async with await KubeClient.connect(from_kubeconfig(local_cluster.kubeconfig)) as kube:
            with pytest.raises(CredentialsError, match=r"no entry for quay\.io"):
                await CredentialResolver(kube=kube).resolve(
                    f"pullsecret:{namespace}/other", hosts=("quay.io",)
                )

    asyncio.run(go())
