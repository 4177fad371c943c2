"""The one simulated Node (``kaiun-local``) every pod is scheduled to, and its pod IPs."""

from __future__ import annotations

import ipaddress

from kaiun.localcluster.workloads.api import KUBELET, NODE, NODE_NAME, Api, Obj, rfc3339

NODE_IP = "172.18.0.2"
POD_CIDR = ipaddress.ip_network("10.244.0.0/16")


def node_object() -> Obj:
    """The Node as a freshly registered kubelet would describe itself."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "labels": {
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/control-plane": "",
            },
        },
        "spec": {"podCIDR": str(POD_CIDR), "podCIDRs": [str(POD_CIDR)]},
    }


def node_status() -> Obj:
    now = rfc3339()
    resources = {"cpu": "8", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"}

    def cond(ctype: str, status: str, reason: str, message: str) -> Obj:
        return {
            "type": ctype,
            "status": status,
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }

    return {
        "capacity": resources,
        "allocatable": resources,
        "conditions": [
            cond(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            cond(
                "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"
            ),
            cond(
                "PIDPressure",
                "False",
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
            ),
            cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        "addresses": [
            {"type": "InternalIP", "address": NODE_IP},
            {"type": "Hostname", "address": NODE_NAME},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "architecture": "amd64",
            "operatingSystem": "linux",
            "osImage": "kaiun local cluster",
            "kernelVersion": "6.1.0",
            "containerRuntimeVersion": "containerd://1.7.0",
            "kubeletVersion": "v1.32.0",
            "kubeProxyVersion": "v1.32.0",
            "machineID": "",
            "systemUUID": "",
            "bootID": "",
        },
    }


def ensure_node(api: Api) -> Obj:
    """Register the node if it is missing (first start, or someone deleted it)."""
    node = api.get(NODE, "", NODE_NAME)
    if node is None:
        node = api.create(NODE, node_object(), KUBELET)
        if node is None:
            raise RuntimeError("could not register the simulated node")
    if not (node.get("status") or {}).get("conditions"):
        api.update_status(NODE, node, node_status(), KUBELET)
    return node


class PodIPs:
    """Hands out pod IPs from the node's pod CIDR, never two alike."""

    def __init__(self) -> None:
        self.by_uid: dict[str, str] = {}
        self._used: set[str] = set()
        self._next = 2

    def claim(self, uid: str, ip: str) -> None:
        self.by_uid[uid] = ip
        self._used.add(ip)

    def allocate(self, uid: str) -> str:
        if uid in self.by_uid:
            return self.by_uid[uid]
        size = POD_CIDR.num_addresses - 2
        for _ in range(size):
            ip = str(POD_CIDR.network_address + self._next)
            self._next = self._next % size + 1
            if ip not in self._used and not ip.endswith(".0") and not ip.endswith(".1"):
                self.claim(uid, ip)
                return ip
        raise RuntimeError("the simulated node ran out of pod IPs")

    def release(self, uid: str) -> None:
        ip = self.by_uid.pop(uid, None)
        if ip:
            self._used.discard(ip)
