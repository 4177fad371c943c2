"""REST semantics of the local cluster, over HTTPS: errors, versions, selectors, deletion."""

from __future__ import annotations

import ssl
import uuid
from typing import Any

import httpx

from tests.support import Kubectl, crd_manifest, wait_for


def cm(name: str, ns: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": data,
    }


def cms(ns: str) -> str:
    return f"/api/v1/namespaces/{ns}/configmaps"


def test_create_get_and_already_exists(api: httpx.Client, namespace: str) -> None:
    r = api.post(cms(namespace), json=cm("a", namespace, k="v"))
    assert r.status_code == 201
    created = r.json()
    assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
    assert api.get(f"{cms(namespace)}/a").json() == created
    dup = api.post(cms(namespace), json=cm("a", namespace))
    assert dup.status_code == 409
    assert dup.json()["reason"] == "AlreadyExists"
    assert dup.json()["message"] == 'configmaps "a" already exists'


def test_malformed_body_is_400_and_stores_nothing(api: httpx.Client, namespace: str) -> None:
    before = api.get(cms(namespace)).json()["metadata"]["resourceVersion"]
    r = api.post(
        cms(namespace),
        content=b'{"apiVersion": "v1", "kind": ',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["kind"] == "Status" and r.json()["reason"] == "BadRequest"
    assert api.get(cms(namespace)).json()["metadata"]["resourceVersion"] == before


def test_unknown_resource_is_404(api: httpx.Client) -> None:
    r = api.get("/apis/example.org/v1/namespaces/default/gizmos")
    assert r.status_code == 404 and r.json()["reason"] == "NotFound"
    missing = api.get("/api/v1/namespaces/default/configmaps/does-not-exist")
    assert missing.status_code == 404
    assert missing.json()["message"] == 'configmaps "does-not-exist" not found'


def test_missing_namespace_is_404(api: httpx.Client) -> None:
    r = api.post(cms("no-such-ns"), json=cm("a", "no-such-ns"))
    assert r.status_code == 404
    assert r.json()["message"] == 'namespaces "no-such-ns" not found'


def test_stale_update_is_conflict(api: httpx.Client, namespace: str) -> None:
    first = api.post(cms(namespace), json=cm("s", namespace, v="1")).json()
    newer = dict(first, data={"v": "2"})
    assert api.put(f"{cms(namespace)}/s", json=newer).status_code == 200
    stale = dict(first, data={"v": "3"})
    r = api.put(f"{cms(namespace)}/s", json=stale)
    assert r.status_code == 409 and r.json()["reason"] == "Conflict"
    assert "the object has been modified" in r.json()["message"]
    assert api.get(f"{cms(namespace)}/s").json()["data"] == {"v": "2"}


def test_body_over_3mib_is_413(api: httpx.Client, namespace: str) -> None:
    big = cm("big", namespace, blob="x" * (3 * 1024 * 1024 + 10))
    r = api.post(cms(namespace), json=big)
    assert r.status_code == 413
    assert api.get(f"{cms(namespace)}/big").status_code == 404


def test_unauthenticated_is_401(local_cluster: Any) -> None:
    with httpx.Client(
        base_url=local_cluster.url, verify=ssl.create_default_context(cafile=str(local_cluster.ca))
    ) as anon:
        assert anon.get("/api/v1/namespaces").status_code == 401


def test_unchanged_update_keeps_resource_version(api: httpx.Client, namespace: str) -> None:
    obj = api.post(cms(namespace), json=cm("u", namespace, v="1")).json()
    again = api.put(f"{cms(namespace)}/u", json=obj).json()
    assert again["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


def test_label_selectors_and_pagination(api: httpx.Client, namespace: str) -> None:
    for i in range(7):
        body = cm(f"p{i}", namespace)
        body["metadata"]["labels"] = {"tier": "web" if i % 2 else "db", "idx": str(i)}
        api.post(cms(namespace), json=body)
    web = api.get(cms(namespace), params={"labelSelector": "tier=web"}).json()["items"]
    assert [i["metadata"]["name"] for i in web] == ["p1", "p3", "p5"]
    notin = api.get(cms(namespace), params={"labelSelector": "tier,idx notin (1,3)"}).json()
    assert [i["metadata"]["name"] for i in notin["items"]] == ["p0", "p2", "p4", "p5", "p6"]
    bad = api.get(cms(namespace), params={"labelSelector": "tier in (web"})
    assert bad.status_code == 400
    names, token = [], ""
    while True:
        page = api.get(
            cms(namespace), params={"limit": 3, "continue": token, "labelSelector": "idx"}
        ).json()
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue", "")
        if not token:
            break
        assert page["metadata"]["remainingItemCount"] > 0
    assert names == [f"p{i}" for i in range(7)]


def test_field_selector(api: httpx.Client, namespace: str) -> None:
    api.post(cms(namespace), json=cm("f1", namespace))
    api.post(cms(namespace), json=cm("f2", namespace))
    items = api.get(cms(namespace), params={"fieldSelector": "metadata.name=f2"}).json()["items"]
    assert [i["metadata"]["name"] for i in items] == ["f2"]


def test_dry_run_stores_nothing(api: httpx.Client, namespace: str) -> None:
    r = api.post(cms(namespace), params={"dryRun": "All"}, json=cm("dry", namespace))
    assert r.status_code == 201 and r.json()["metadata"]["name"] == "dry"
    assert api.get(f"{cms(namespace)}/dry").status_code == 404


def test_generate_name(api: httpx.Client, namespace: str) -> None:
    body = cm("", namespace)
    body["metadata"] = {"generateName": "gen-", "namespace": namespace}
    name = api.post(cms(namespace), json=body).json()["metadata"]["name"]
    assert name.startswith("gen-") and len(name) == len("gen-") + 5


def _deploy(name: str, ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        # The simulated Deployment controller would race these tests' own status writes.
        "metadata": {
            "name": name,
            "namespace": ns,
            "annotations": {"local.kaiun.io/simulate": "Off"},
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def _gauge_crd(api: httpx.Client) -> str:
    """A CRD with a status subresource and no controller, so status is ours alone."""
    group = f"m{uuid.uuid4().hex[:6]}.example.com"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gauges.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "gauges", "kind": "Gauge"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }
    assert (
        api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd).status_code
        == 201
    )
    return group


def test_status_subresource_and_generation(api: httpx.Client, namespace: str) -> None:
    group = _gauge_crd(api)
    base = f"/apis/{group}/v1/namespaces/{namespace}/gauges"
    body = {
        "apiVersion": f"{group}/v1",
        "kind": "Gauge",
        "metadata": {"name": "g"},
        "spec": {"size": 1},
        "status": {"level": 7},
    }
    created = api.post(base, json=body).json()
    assert created["metadata"]["generation"] == 1
    assert "status" not in created  # status is reset on create
    created["status"] = {"level": 99}
    updated = api.put(f"{base}/g", json=created).json()
    assert "status" not in updated and updated["metadata"]["generation"] == 1
    cur = api.get(f"{base}/g").json()
    cur["status"] = {"level": 5}
    cur["spec"] = {"size": 100}  # ignored by the status subresource
    st = api.put(f"{base}/g/status", json=cur).json()
    assert st["status"] == {"level": 5} and st["spec"] == {"size": 1}
    assert st["metadata"]["generation"] == 1
    cur = api.get(f"{base}/g").json()
    cur["spec"]["size"] = 3
    bumped = api.put(f"{base}/g", json=cur).json()
    assert bumped["metadata"]["generation"] == 2
    assert bumped["status"] == {"level": 5}


def test_finalizer_holds_deletion(api: httpx.Client, namespace: str) -> None:
    body = cm("held", namespace)
    body["metadata"]["finalizers"] = ["example.com/hold"]
    api.post(cms(namespace), json=body)
    r = api.delete(f"{cms(namespace)}/held")
    assert r.status_code == 200
    held = api.get(f"{cms(namespace)}/held").json()
    assert held["metadata"]["deletionTimestamp"]
    held["metadata"]["finalizers"] = []
    api.put(f"{cms(namespace)}/held", json=held)
    assert api.get(f"{cms(namespace)}/held").status_code == 404


def _owned(api: httpx.Client, ns: str, owner: dict[str, Any], name: str) -> None:
    body = cm(name, ns)
    body["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"],
            "blockOwnerDeletion": True,
        }
    ]
    assert api.post(cms(ns), json=body).status_code == 201


def test_background_garbage_collection(api: httpx.Client, namespace: str) -> None:
    owner = api.post(cms(namespace), json=cm("owner", namespace)).json()
    _owned(api, namespace, owner, "child")
    api.delete(f"{cms(namespace)}/owner")
    wait_for(lambda: api.get(f"{cms(namespace)}/child").status_code == 404, what="child gone")


def test_foreground_deletion_waits_for_dependents(api: httpx.Client, namespace: str) -> None:
    owner = api.post(cms(namespace), json=cm("fowner", namespace)).json()
    _owned(api, namespace, owner, "fchild")
    api.delete(f"{cms(namespace)}/fowner", params={"propagationPolicy": "Foreground"})
    wait_for(lambda: api.get(f"{cms(namespace)}/fowner").status_code == 404, what="owner gone")
    assert api.get(f"{cms(namespace)}/fchild").status_code == 404


def test_orphan_deletion_keeps_dependents(api: httpx.Client, namespace: str) -> None:
    owner = api.post(cms(namespace), json=cm("oowner", namespace)).json()
    _owned(api, namespace, owner, "ochild")
    api.delete(f"{cms(namespace)}/oowner", params={"propagationPolicy": "Orphan"})
    wait_for(lambda: api.get(f"{cms(namespace)}/oowner").status_code == 404, what="owner gone")
    child = api.get(f"{cms(namespace)}/ochild").json()
    assert "ownerReferences" not in child["metadata"]


def test_crd_deletion_removes_type_and_instances(api: httpx.Client, namespace: str) -> None:
    group = f"g{uuid.uuid4().hex[:6]}.example.com"
    crd = crd_manifest(group, "Gadget", "gadgets")
    created = api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd)
    assert created.status_code == 201
    conditions = {c["type"]: c["status"] for c in created.json()["status"]["conditions"]}
    assert conditions["Established"] == "True"
    base = f"/apis/{group}/v1/namespaces/{namespace}/gadgets"
    gadget = {
        "apiVersion": f"{group}/v1",
        "kind": "Gadget",
        "metadata": {"name": "g1", "namespace": namespace},
        "spec": {"x": 1},
    }
    assert api.post(base, json=gadget).status_code == 201
    assert group in {g["name"] for g in api.get("/apis").json()["groups"]}
    api.delete(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{group}")
    assert api.get(base).status_code == 404
    assert group not in {g["name"] for g in api.get("/apis").json()["groups"]}


def test_scale_subresource(api: httpx.Client, namespace: str) -> None:
    base = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    api.post(base, json=_deploy("sc", namespace))
    scale = api.get(f"{base}/sc/scale").json()
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 1
    r = api.patch(
        f"{base}/sc/scale",
        json={"spec": {"replicas": 4}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert r.json()["spec"]["replicas"] == 4
    assert api.get(f"{base}/sc").json()["spec"]["replicas"] == 4


def test_merge_and_json_patch(api: httpx.Client, namespace: str) -> None:
    api.post(cms(namespace), json=cm("pt", namespace, a="1", b="2"))
    merged = api.patch(
        f"{cms(namespace)}/pt",
        json={"data": {"a": None, "c": "3"}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).json()
    assert merged["data"] == {"b": "2", "c": "3"}
    ops = [
        {"op": "replace", "path": "/data/b", "value": "20"},
        {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
    ]
    patched = api.patch(
        f"{cms(namespace)}/pt", json=ops, headers={"Content-Type": "application/json-patch+json"}
    ).json()
    assert patched["data"] == {"b": "20", "c": "3"}
    assert patched["metadata"]["labels"] == {"x": "y"}
    bad = api.patch(
        f"{cms(namespace)}/pt",
        json=[{"op": "test", "path": "/data/b", "value": "nope"}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert bad.status_code == 422


def test_access_reviews_answer_for_the_admin(api: httpx.Client) -> None:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "list", "resource": "pods"}},
    }
    r = api.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", json=review)
    assert r.status_code == 201 and r.json()["status"]["allowed"] is True
    assert api.get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews").status_code == 405


def test_invalid_object_is_422_with_causes(api: httpx.Client, namespace: str) -> None:
    bad = _deploy("Bad_Name", namespace)
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    r = api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json=bad)
    assert r.status_code == 422
    status = r.json()
    assert status["reason"] == "Invalid"
    assert status["message"].startswith('Deployment.apps "Bad_Name" is invalid: ')
    fields = {c["field"] for c in status["details"]["causes"]}
    assert "metadata.name" in fields
    assert "spec.template.metadata.labels" in fields
    listed = api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments").json()
    assert listed["items"] == []


def test_defaulting_matches_a_real_api_server(api: httpx.Client, namespace: str) -> None:
    dep = api.post(
        f"/apis/apps/v1/namespaces/{namespace}/deployments", json=_deploy("d", namespace)
    ).json()
    spec = dep["spec"]
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    container = spec["template"]["spec"]["containers"][0]
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["imagePullPolicy"] == "Always"  # no tag means :latest
    assert spec["template"]["spec"]["restartPolicy"] == "Always"


def test_strict_field_validation_rejects_unknown_custom_fields(
    kubectl: Kubectl, namespace: str
) -> None:
    group = f"s{uuid.uuid4().hex[:6]}.example.com"
    kubectl(
        "apply",
        "-f",
        "-",
        input=f"""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: things.{group}}}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: things, kind: Thing}}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {{type: object, properties: {{size: {{type: integer}}}}}}
""",
    )
    thing = (
        f"apiVersion: {group}/v1\nkind: Thing\nmetadata: {{name: t, namespace: {namespace}}}\n"
        "spec: {size: 1, colour: red}\n"
    )
    proc = kubectl.run("apply", "-f", "-", input=thing, check=False)
    assert proc.returncode != 0
    assert 'unknown field "spec.colour"' in proc.stderr
    kubectl("apply", "--validate=false", "-f", "-", input=thing)
    live = kubectl("get", f"things.{group}", "t", "-n", namespace, "-o", "jsonpath={.spec}")
    assert live == '{"size":1}'
