#!/usr/bin/env python3
"""Re-capture tests/unit/fixtures/kubectl_protobuf.json from the kubectl on PATH.

For each generator command, kubectl runs twice through a loopback proxy in front of an
in-process local cluster: once for real, where the proxy keeps the protobuf request body
instead of forwarding it, and once with ``--dry-run=client -o json``, whose output is what the
JSON API would have received (the oracle the decoder is tested against).
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from kaiun.localcluster import LocalCluster, Options

OUT = Path(__file__).resolve().parent.parent / "tests/unit/fixtures/kubectl_protobuf.json"

CASES: list[tuple[str, list[str]]] = [
    ("namespace", ["create", "namespace", "ns1"]),
    ("configmap", ["create", "configmap", "cm1", "--from-literal=a=b", "--from-literal=c=d"]),
    ("configmap_binary", ["create", "configmap", "bin", "--from-file=blob={tmp}/blob.bin"]),
    ("secret", ["create", "secret", "generic", "s1", "--from-literal=pw=s3cr3t", "--type=Opaque"]),
    ("secret_binary", ["create", "secret", "generic", "s2", "--from-literal=k=\u00e9\u00ff\x01"]),
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
    ),
    (
        "deployment",
        ["create", "deployment", "web", "--image=nginx:1.27", "--replicas=3", "--port=80"],
    ),
    ("deployment_zero", ["create", "deployment", "zero", "--image=nginx", "--replicas=0"]),
    ("deployment_multi", ["create", "deployment", "two", "--image=nginx", "--image=busybox"]),
    (
        "service_clusterip",
        ["create", "service", "clusterip", "svc1", "--tcp=5678:8080", "--tcp=80:http"],
    ),
    ("service_headless", ["create", "service", "clusterip", "hl", "--clusterip=None"]),
    (
        "service_nodeport",
        ["create", "service", "nodeport", "np1", "--tcp=80:8080", "--node-port=30080"],
    ),
    ("service_loadbalancer", ["create", "service", "loadbalancer", "lb1", "--tcp=443:8443"]),
    (
        "service_externalname",
        ["create", "service", "externalname", "ext", "--external-name=example.com"],
    ),
    ("serviceaccount", ["create", "serviceaccount", "sa1"]),
    ("job", ["create", "job", "j1", "--image=busybox", "--", "echo", "hi"]),
    ("job_from_cronjob", ["create", "job", "j2", "--from=cronjob/seed"]),
    (
        "cronjob",
        [
            "create",
            "cronjob",
            "cj1",
            "--image=busybox",
            "--schedule=*/5 * * * *",
            "--restart=Never",
            "--",
            "date",
        ],
    ),
    (
        "role",
        [
            "create",
            "role",
            "r1",
            "--verb=get,list",
            "--resource=pods,deployments.apps",
            "--resource-name=a",
        ],
    ),
    (
        "clusterrole",
        [
            "create",
            "clusterrole",
            "cr1",
            "--verb=get",
            "--resource=nodes",
            "--non-resource-url=/logs/*",
        ],
    ),
    ("clusterrole_aggregated", ["create", "clusterrole", "agg", "--aggregation-rule=foo=bar"]),
    (
        "rolebinding",
        [
            "create",
            "rolebinding",
            "rb1",
            "--role=r1",
            "--user=alice",
            "--serviceaccount=default:sa1",
            "--group=g1",
        ],
    ),
    (
        "clusterrolebinding",
        ["create", "clusterrolebinding", "crb1", "--clusterrole=cr1", "--user=bob"],
    ),
    (
        "ingress",
        [
            "create",
            "ingress",
            "ing1",
            "--class=nginx",
            "--rule=foo.com/bar*=svc:8080,tls=cert",
            "--rule=/x=svc2:http",
            "--default-backend=defsvc:80",
            "--annotation=a=b",
        ],
    ),
    ("pdb_min", ["create", "pdb", "pdb1", "--selector=app=web", "--min-available=50%"]),
    ("pdb_max", ["create", "pdb", "pdb2", "--selector=app=web", "--max-unavailable=1"]),
    (
        "priorityclass",
        [
            "create",
            "priorityclass",
            "high",
            "--value=1000",
            "--description=important",
            "--preemption-policy=Never",
        ],
    ),
    (
        "priorityclass_zero",
        ["create", "priorityclass", "zero", "--value=0", "--global-default=true"],
    ),
    ("quota", ["create", "quota", "q1", "--hard=cpu=1,memory=1G,pods=2", "--scopes=BestEffort"]),
    (
        "run",
        [
            "run",
            "p1",
            "--image=nginx",
            "--labels=app=p1,tier=x",
            "--env=A=1",
            "--port=80",
            "--annotations=k=v",
            "--restart=Never",
            "--",
            "sleep",
            "10",
        ],
    ),
    (
        "run_privileged",
        [
            "run",
            "p2",
            "--image=busybox",
            "--privileged",
            "--image-pull-policy=Always",
            "--command",
            "--",
            "sh",
            "-c",
            "true",
        ],
    ),
    (
        "expose_deployment",
        ["expose", "deployment", "seed", "--port=80", "--target-port=8080", "--name=seed-svc"],
    ),
    (
        "expose_pod",
        ["expose", "pod", "seed-pod", "--port=444", "--protocol=UDP", "--type=NodePort"],
    ),
    ("autoscale", ["autoscale", "deployment", "seed", "--min=2", "--max=5", "--cpu-percent=80"]),
]

SEED = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: seed, labels: {app: seed}}
spec:
  selector: {matchLabels: {app: seed}}
  template:
    metadata: {labels: {app: seed}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: seed-pod, labels: {app: seed-pod}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: seed}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
"""


def proxy(lc: LocalCluster, captured: list[bytes]) -> ThreadingHTTPServer:
    client = httpx.Client(
        base_url=lc.url, verify=ssl.create_default_context(cafile=str(lc.ca)), timeout=30
    )

    class Handler(BaseHTTPRequestHandler):
        def handle_one(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if "protobuf" in (self.headers.get("content-type") or ""):
                captured.append(body)
                status, payload, ctype = 400, b'{"kind":"Status","code":400}', "application/json"
            else:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Authorization"] = f"Bearer {lc.token}"
                resp = client.request(self.command, self.path, content=body, headers=headers)
                status, payload = resp.status_code, resp.content
                ctype = resp.headers.get("content-type", "application/json")
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lc = LocalCluster(Options(data_dir=None, kubeconfig=Path(tmp) / "lc-config"))
        lc.start()
        captured: list[bytes] = []
        server = proxy(lc, captured)
        config = Path(tmp) / "config"
        config.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "c",
                    "clusters": [
                        {
                            "name": "c",
                            "cluster": {"server": f"http://127.0.0.1:{server.server_port}"},
                        }
                    ],
                    "contexts": [
                        {
                            "name": "c",
                            "context": {"cluster": "c", "user": "u", "namespace": "default"},
                        }
                    ],
                    "users": [{"name": "u", "user": {}}],
                }
            )
        )
        env = {**os.environ, "KUBECONFIG": str(config), "KUBECACHEDIR": f"{tmp}/cache"}

        def kubectl(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["kubectl", *args],
                input=stdin,
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )

        Path(tmp, "blob.bin").write_bytes(bytes(range(256)))  # not UTF-8: goes to binaryData
        seeded = kubectl("create", "-f", "-", stdin=SEED)
        assert seeded.returncode == 0, seeded.stderr
        cases = []
        for name, template in CASES:
            args = [a.replace("{tmp}", tmp) for a in template]
            before = len(captured)
            real = kubectl(*args)
            if len(captured) == before:
                # run, expose and autoscale send JSON through the dynamic client.
                print(f"{name}: sent no protobuf (exit {real.returncode})", file=sys.stderr)
                continue
            body = captured[-1]
            # Some commands (create job) still POST under --dry-run=client: no oracle for them.
            cut = args.index("--") if "--" in args else len(args)
            dry = kubectl(*args[:cut], "--dry-run=client", "-o", "json", *args[cut:])
            if dry.returncode != 0:
                print(f"{name}: no dry-run oracle: {dry.stderr.strip()}", file=sys.stderr)
            cases.append(
                {
                    "name": name,
                    "args": template,
                    "body": base64.b64encode(body).decode(),
                    "expected": json.loads(dry.stdout) if dry.returncode == 0 else None,
                }
            )
        server.shutdown()
        lc.stop()
    version = subprocess.run(
        ["kubectl", "version", "--client", "-o", "json"], capture_output=True, text=True, check=True
    )
    doc = {"kubectl": json.loads(version.stdout)["clientVersion"]["gitVersion"], "cases": cases}
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
