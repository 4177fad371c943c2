"""networking_info: what the UI's network view links (Ingress → Service → Pod)."""

from __future__ import annotations

from kaiun.server.networking import networking_info


def test_pod_and_service_carry_labels_and_selector() -> None:
    pod = {"kind": "Pod", "metadata": {"name": "p", "labels": {"app": "web", "tier": "fe"}}}
    svc = {
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}},
        "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}},
    }
    assert networking_info(pod) == {"labels": {"app": "web", "tier": "fe"}}
    assert networking_info(svc) == {"targetLabels": {"app": "web"}, "ingress": [{"ip": "10.0.0.9"}]}
    assert networking_info({"kind": "ConfigMap", "metadata": {"name": "c"}}) is None


def test_ingress_targets_services_and_lists_urls() -> None:
    ing = {
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
            "tls": [{"hosts": ["secure.example.com"]}],
            "rules": [
                {"host": "secure.example.com", "http": {"paths": [
                    {"path": "/api", "backend": {"service": {"name": "api"}}},
                ]}},
                {"host": "plain.example.com", "http": {"paths": [
                    {"path": "/", "backend": {"service": {"name": "web"}}},
                    {"path": "/old", "backend": {"serviceName": "legacy"}},
                ]}},
                {"host": "*.example.com", "http": {"paths": [
                    {"backend": {"service": {"name": "web"}}},
                ]}},
            ],
        },
    }  # fmt: skip
    info = networking_info(ing)
    assert info is not None
    assert [r["name"] for r in info["targetRefs"]] == ["fallback", "api", "web", "legacy"]
    assert all(r["kind"] == "Service" and r["namespace"] == "shop" for r in info["targetRefs"])
    assert info["externalURLs"] == [
        "https://secure.example.com/api",
        "http://plain.example.com/",
        "http://plain.example.com/old",
    ]
