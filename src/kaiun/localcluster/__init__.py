"""The embedded Kubernetes-API-compatible local cluster."""
