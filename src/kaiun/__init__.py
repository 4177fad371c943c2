"""kaiun: GitOps continuous delivery for Kubernetes, a drop-in for Argo CD.

The package is split into rooms layered as in DESIGN.md section 3; each room's
``__init__`` says what it owns and what it must not import.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
