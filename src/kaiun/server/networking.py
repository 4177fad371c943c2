"""Argo CD's ``ResourceNetworkingInfo`` of a live object, for the UI's network view.

Pods carry their ``labels``, Services the ``targetLabels`` they select and their load
balancer ``ingress``, Ingresses the Services they route to (``targetRefs``) and the
``externalURLs`` their rules serve. Other kinds have none.
"""

from __future__ import annotations

from typing import Any


def networking_info(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The networking info of ``obj``, or None for kinds without any."""
    kind = obj.get("kind")
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return {"labels": dict(meta.get("labels") or {})}
    if kind == "Service":
        out: dict[str, Any] = {"targetLabels": dict(spec.get("selector") or {})}
        ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        if ingress:
            out["ingress"] = ingress
        return out
    if kind == "Ingress":
        return _ingress(meta.get("namespace", ""), spec)
    return None


def _backend_service(backend: Any) -> str | None:
    if not isinstance(backend, dict):
        return None
    service = backend.get("service")  # networking.k8s.io/v1
    if isinstance(service, dict) and service.get("name"):
        return str(service["name"])
    name = backend.get("serviceName")  # extensions/v1beta1
    return str(name) if name else None


def _ingress(namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    names: list[str] = []
    urls: list[str] = []
    tls_hosts = {h for t in spec.get("tls") or [] for h in (t or {}).get("hosts") or []}
    default = _backend_service(spec.get("defaultBackend") or spec.get("backend"))
    if default:
        names.append(default)
    for rule in spec.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        host = rule.get("host")
        for path in (rule.get("http") or {}).get("paths") or []:
            name = _backend_service((path or {}).get("backend"))
            if name and name not in names:
                names.append(name)
            if host and "*" not in host:
                scheme = "https" if host in tls_hosts else "http"
                url = f"{scheme}://{host}{(path or {}).get('path') or ''}"
                if url not in urls:
                    urls.append(url)
    refs = [{"group": "", "kind": "Service", "namespace": namespace, "name": n} for n in names]
    out: dict[str, Any] = {"targetRefs": refs}
    if urls:
        out["externalURLs"] = urls
    return out
