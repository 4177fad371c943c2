"""The embedded Kubernetes-API-compatible local cluster (IO room; see DESIGN.md section 4)."""
