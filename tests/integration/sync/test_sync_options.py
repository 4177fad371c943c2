"""Prune and sync options on the local cluster."""

from __future__ import annotations

import json
import uuid

from kaiun.kube import ClusterConfig
from tests.integration.sync.conftest import cm, deployment, run, sync_app, tracked
from tests.support import Kubectl, crd_manifest


def _json(kubectl: Kubectl, *args: str) -> dict:
    return json.loads(kubectl("get", *args, "-o", "json"))


def _exists(kubectl: Kubectl, namespace: str, kind: str, name: str) -> bool:
    return kubectl.run("get", kind, name, "-n", namespace, check=False).returncode == 0


def test_prune_respects_prune_false_and_prune_last(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    first = [
        cm("keep"),
        cm("old-last", 1, **{"argocd.argoproj.io/sync-options": "PruneLast=true"}),
        cm("old-protected", **{"argocd.argoproj.io/sync-options": "Prune=false"}),
        cm("old-plain", 3),
        cm("old-early", -2),
    ]
    assert run(sync_app(kube_config, first, namespace=namespace))["phase"] == "Succeeded"
    live = run(tracked(kube_config, namespace))
    second = [cm("keep"), cm("new", 5)]
    # Without prune, removed resources are only reported.
    result = run(sync_app(kube_config, second, namespace=namespace, live=live))
    assert result["phase"] == "Succeeded"
    skipped = {
        r["name"]: r for r in result["syncResult"]["resources"] if r["status"] == "PruneSkipped"
    }
    assert skipped["old-plain"]["message"] == "ignored (requires pruning)"
    assert _exists(kubectl, namespace, "configmap", "old-plain")
    # With prune: reverse wave order, PruneLast after every wave, Prune=false kept.
    live = run(tracked(kube_config, namespace))
    result = run(
        sync_app(kube_config, second, namespace=namespace, live=live, sync={"prune": True})
    )
    assert result["phase"] == "Succeeded", result["message"]
    res = result["syncResult"]["resources"]
    order = [r["name"] for r in res]
    statuses = {r["name"]: (r["status"], r.get("message")) for r in res}
    assert statuses["old-protected"] == ("PruneSkipped", "ignored (no prune)")
    assert statuses["old-plain"][0] == "Pruned"
    assert statuses["old-early"][0] == "Pruned"
    assert statuses["old-last"][0] == "Pruned"
    # Prune waves mirror: old-plain (wave 3) goes first, old-early (-2) after; PruneLast last.
    assert order.index("old-plain") < order.index("old-early") < order.index("old-last")
    assert order.index("new") < order.index("old-last")
    assert _exists(kubectl, namespace, "configmap", "old-protected")
    for gone in ("old-plain", "old-early", "old-last"):
        assert not _exists(kubectl, namespace, "configmap", gone)
    assert _exists(kubectl, namespace, "configmap", "keep")


def test_create_namespace_with_managed_metadata(
    kube_config: ClusterConfig, kubectl: Kubectl
) -> None:
    target_ns = f"t-{uuid.uuid4().hex[:8]}"
    policy = {
        "syncOptions": ["CreateNamespace=true"],
        "managedNamespaceMetadata": {"labels": {"team": "blue"}, "annotations": {"owner": "me"}},
    }
    result = run(sync_app(kube_config, [cm("c")], namespace=target_ns, sync_policy=policy))
    try:
        assert result["phase"] == "Succeeded", result["message"]
        ns = _json(kubectl, "namespace", target_ns)
        assert ns["metadata"]["labels"]["team"] == "blue"
        assert ns["metadata"]["annotations"]["owner"] == "me"
        assert _exists(kubectl, target_ns, "configmap", "c")
        first = result["syncResult"]["resources"][0]
        assert (first["kind"], first["name"], first["syncPhase"]) == (
            "Namespace",
            target_ns,
            "PreSync",
        )
        assert result["syncResult"]["managedNamespaceMetadata"]["labels"] == {"team": "blue"}
    finally:
        kubectl.run("delete", "namespace", target_ns, "--wait=false", check=False)


def test_missing_namespace_without_create_namespace_fails_per_resource(
    kube_config: ClusterConfig, kubectl: Kubectl
) -> None:
    target_ns = f"t-{uuid.uuid4().hex[:8]}"
    result = run(sync_app(kube_config, [cm("c")], namespace=target_ns))
    assert result["phase"] == "Failed"
    assert result["message"].startswith("one or more objects failed to apply (dry run)")
    (res,) = result["syncResult"]["resources"]
    assert res["status"] == "SyncFailed" and target_ns in res["message"]
    assert kubectl.run("get", "namespace", target_ns, check=False).returncode != 0


def test_server_side_apply_owns_fields_as_field_manager(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    policy = {"syncOptions": ["ServerSideApply=true"]}
    manifests = [
        cm("ssa"),
        cm("csa", **{"argocd.argoproj.io/sync-options": "ServerSideApply=false"}),
    ]
    result = run(sync_app(kube_config, manifests, namespace=namespace, sync_policy=policy))
    assert result["phase"] == "Succeeded", result["message"]
    ssa = _json(kubectl, "configmap", "ssa", "-n", namespace, "--show-managed-fields")
    managers = {(m["manager"], m["operation"]) for m in ssa["metadata"]["managedFields"]}
    assert ("argocd-controller", "Apply") in managers
    assert "kubectl.kubernetes.io/last-applied-configuration" not in ssa["metadata"].get(
        "annotations", {}
    )
    csa = _json(kubectl, "configmap", "csa", "-n", namespace)
    assert "kubectl.kubernetes.io/last-applied-configuration" in csa["metadata"]["annotations"]


def test_replace_and_force(kube_config: ClusterConfig, namespace: str, kubectl: Kubectl) -> None:
    base = cm("rep", data={"a": "1"})
    assert run(sync_app(kube_config, [base], namespace=namespace))["phase"] == "Succeeded"
    kubectl("label", "configmap", "rep", "-n", namespace, "extra=yes")
    uid = _json(kubectl, "configmap", "rep", "-n", namespace)["metadata"]["uid"]
    replaced = cm("rep", data={"b": "2"}, **{"argocd.argoproj.io/sync-options": "Replace=true"})
    result = run(sync_app(kube_config, [replaced], namespace=namespace))
    assert result["phase"] == "Succeeded", result["message"]
    assert result["syncResult"]["resources"][0]["message"] == "configmap/rep replaced"
    live = _json(kubectl, "configmap", "rep", "-n", namespace)
    assert live["data"] == {"b": "2"}
    assert "extra" not in live["metadata"].get("labels", {})  # replaced wholesale
    assert live["metadata"]["uid"] == uid
    forced = cm(
        "rep", data={"c": "3"}, **{"argocd.argoproj.io/sync-options": "Replace=true,Force=true"}
    )
    result = run(sync_app(kube_config, [forced], namespace=namespace))
    assert result["phase"] == "Succeeded", result["message"]
    live = _json(kubectl, "configmap", "rep", "-n", namespace)
    assert live["data"] == {"c": "3"} and live["metadata"]["uid"] != uid


def test_selective_sync_skips_hooks_and_other_resources(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    from tests.integration.sync.conftest import job_hook

    manifests = [cm("one"), cm("two"), deployment("web"), job_hook("pre", "PreSync")]
    sync = {
        "resources": [
            {"kind": "ConfigMap", "name": "two"},
            {"group": "apps", "kind": "Deployment", "name": "web"},
        ]
    }
    result = run(sync_app(kube_config, manifests, namespace=namespace, sync=sync))
    assert result["phase"] == "Succeeded", result["message"]
    assert sorted(r["name"] for r in result["syncResult"]["resources"]) == ["two", "web"]
    assert not _exists(kubectl, namespace, "configmap", "one")
    assert not _exists(kubectl, namespace, "job", "pre")
    assert _exists(kubectl, namespace, "deployment", "web")


def test_dry_run_changes_nothing(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    from tests.integration.sync.conftest import job_hook

    assert run(sync_app(kube_config, [cm("old")], namespace=namespace))["phase"] == "Succeeded"
    before = _json(kubectl, "configmap", "old", "-n", namespace)["metadata"]["resourceVersion"]
    live = run(tracked(kube_config, namespace))
    manifests = [cm("new"), deployment("web"), job_hook("pre", "PreSync")]
    result = run(
        sync_app(
            kube_config,
            manifests,
            namespace=namespace,
            live=live,
            sync={"dryRun": True, "prune": True},
        )
    )
    assert result["phase"] == "Succeeded", result["message"]
    res = {r["name"]: r for r in result["syncResult"]["resources"]}
    assert res["old"]["status"] == "Pruned" and res["old"]["message"] == "pruned (dry run)"
    assert res["new"]["message"].endswith("(dry run)")
    assert res["pre"]["hookPhase"] == "Succeeded"
    for kind, name in (("configmap", "new"), ("deployment", "web"), ("job", "pre")):
        assert not _exists(kubectl, namespace, kind, name)
    after = _json(kubectl, "configmap", "old", "-n", namespace)["metadata"]["resourceVersion"]
    assert after == before


def test_crd_and_its_custom_resource_in_one_sync(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    group = f"g{uuid.uuid4().hex[:6]}.example.com"
    crd = crd_manifest(group, "Gizmo", "gizmos", singular="gizmo")
    gizmo = {"apiVersion": f"{group}/v1", "kind": "Gizmo", "metadata": {"name": "g1"}}
    try:
        result = run(sync_app(kube_config, [gizmo, crd], namespace=namespace))
        assert result["phase"] == "Succeeded", result["message"]
        kinds = [r["kind"] for r in result["syncResult"]["resources"]]
        assert kinds == ["CustomResourceDefinition", "Gizmo"]
        assert _exists(kubectl, namespace, f"gizmos.{group}", "g1")
    finally:
        kubectl.run("delete", "crd", f"gizmos.{group}", "--wait=false", check=False)


def test_respect_ignore_differences_keeps_ignored_live_values(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    assert run(sync_app(kube_config, [deployment("web")], namespace=namespace))["phase"] == (
        "Succeeded"
    )
    kubectl("scale", "deployment", "web", "-n", namespace, "--replicas=3")
    ignore = [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]
    policy = {"syncOptions": ["RespectIgnoreDifferences=true"]}
    changed = deployment("web", **{"note": "v2"})
    result = run(
        sync_app(kube_config, [changed], namespace=namespace, sync_policy=policy,
                 ignore_differences=ignore)
    )  # fmt: skip
    assert result["phase"] == "Succeeded", result["message"]
    live = _json(kubectl, "deployment", "web", "-n", namespace)
    assert live["spec"]["replicas"] == 3
    assert live["metadata"]["annotations"]["note"] == "v2"


def test_apply_out_of_sync_only_applies_only_changed_resources(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    policy = {"syncOptions": ["ApplyOutOfSyncOnly=true"]}
    first = [cm("same"), cm("changing", data={"v": "1"})]
    assert (
        run(sync_app(kube_config, first, namespace=namespace, sync_policy=policy))["phase"]
        == "Succeeded"
    )
    before = _json(kubectl, "configmap", "same", "-n", namespace)["metadata"]["resourceVersion"]
    second = [cm("same"), cm("changing", data={"v": "2"})]
    result = run(sync_app(kube_config, second, namespace=namespace, sync_policy=policy))
    assert result["phase"] == "Succeeded", result["message"]
    assert [r["name"] for r in result["syncResult"]["resources"]] == ["changing"]
    assert _json(kubectl, "configmap", "changing", "-n", namespace)["data"] == {"v": "2"}
    after = _json(kubectl, "configmap", "same", "-n", namespace)["metadata"]["resourceVersion"]
    assert after == before


def test_label_tracking_sets_the_instance_label(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    from kaiun.engine import SyncContext, prepare_targets
    from kaiun.kube import KubeClient
    from kaiun.model.tracking import TrackingMethod

    async def prepared() -> list[dict]:
        async with await KubeClient.connect(kube_config) as client:
            ctx = SyncContext(client=client, app_name="guestbook", app_namespace="argocd",
                              destination_namespace=namespace,
                              tracking_method=TrackingMethod.ANNOTATION_AND_LABEL)  # fmt: skip
            ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x",
                  "namespace": "ignored"}}  # fmt: skip
            return await prepare_targets(ctx, [cm("c"), ns])

    c, ns = run(prepared())
    assert c["metadata"]["namespace"] == namespace
    assert c["metadata"]["labels"]["app.kubernetes.io/instance"] == "guestbook"
    assert c["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
        f"guestbook:/ConfigMap:{namespace}/c"
    )
    assert "namespace" not in ns["metadata"]  # cluster-scoped
    assert ns["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
        "guestbook:/Namespace:/x"
    )


def test_prune_confirm_waits_for_approval(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    from tests.integration.sync.conftest import Recorder

    held = cm("held", **{"argocd.argoproj.io/sync-options": "Prune=confirm"})
    assert run(sync_app(kube_config, [cm("keep"), held], namespace=namespace))["phase"] == (
        "Succeeded"
    )
    live = run(tracked(kube_config, namespace))
    rec = Recorder()

    def approved() -> bool:
        # Approve once the operation has reported that it waits for confirmation.
        return any(s["message"].startswith("Waiting for pruning confirmation") for s in rec.states)

    result = run(
        sync_app(kube_config, [cm("keep")], namespace=namespace, live=live, recorder=rec,
                 sync={"prune": True}, prune_confirmed=approved)
    )  # fmt: skip
    assert result["phase"] == "Succeeded", result["message"]
    waiting = [s for s in rec.states if s["message"].startswith("Waiting for pruning")]
    assert waiting[0]["message"] == "Waiting for pruning confirmation of v1/ConfigMap/held"
    assert waiting[0]["phase"] == "Running"
    assert not _exists(kubectl, namespace, "configmap", "held")


def test_strict_field_validation_unless_validate_false(
    kube_config: ClusterConfig, namespace: str, kubectl: Kubectl
) -> None:
    group = f"v{uuid.uuid4().hex[:6]}.example.com"
    schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
        },
    }
    crd = crd_manifest(group, "Box", "boxes", singular="box", schema=schema)
    box = {
        "apiVersion": f"{group}/v1",
        "kind": "Box",
        "metadata": {"name": "b1"},
        "spec": {"size": 3, "colour": "red"},
    }
    try:
        assert run(sync_app(kube_config, [crd], namespace=namespace, app="crds"))["phase"] == (
            "Succeeded"
        )
        result = run(sync_app(kube_config, [box], namespace=namespace))
        assert result["phase"] == "Failed"
        assert 'unknown field "spec.colour"' in result["syncResult"]["resources"][0]["message"]
        assert not _exists(kubectl, namespace, f"boxes.{group}", "b1")
        box["metadata"]["annotations"] = {"argocd.argoproj.io/sync-options": "Validate=false"}
        result = run(sync_app(kube_config, [box], namespace=namespace))
        assert result["phase"] == "Succeeded", result["message"]
        live = _json(kubectl, f"boxes.{group}", "b1", "-n", namespace)
        assert live["spec"] == {"size": 3}
    finally:
        kubectl.run("delete", "crd", f"boxes.{group}", "--wait=false", check=False)
