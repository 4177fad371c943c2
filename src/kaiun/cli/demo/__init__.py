"""Demo manifests shipped with kaiun (package data)."""
