"""The image updater controller (L5): Argo CD Image Updater's behaviour in kaiun.

Owns reading both configuration models (0.x Application annotations in :mod:`appannotations`,
1.x ``ImageUpdater`` resources in :mod:`resource`) into one model (:mod:`model`),
``registries.conf`` (:mod:`registries`), update strategies and tag filters
(:mod:`strategies`, :mod:`tagfilter`), credential references (:mod:`credref`,
:mod:`credentials`), the registry client (:mod:`registry`), the check engine (:mod:`check`),
the per-image decision (:mod:`updateplan`) and what write-back writes (:mod:`argocdwriteback`
for the Application and ``.argocd-source`` files, :mod:`filewriteback` for kustomization and
Helm values files, :mod:`gitmessages` for commit messages and write branches).

Pure modules (no IO): ``model``, ``imageref``, ``appannotations``, ``resource``, ``resolve``,
``registries``, ``strategies``, ``tagfilter``, ``credref``, ``manifests``, ``updateplan``,
``argocdwriteback``, ``filewriteback``, ``gitmessages``, ``errors``. IO: ``registry``,
``credentials``, ``check``. Must not import ``server``, ``ui``, ``cli`` or another controller.

Surface::

    spec = appannotations.parse(app["metadata"]["annotations"])  # AppImages | None
    checker = ImageChecker(registries.from_configmap(cm_data), CredentialResolver(kube=...))
    result = await checker.check(spec.images[0])               # CheckResult
"""

from kaiun.controllers.imageupdater.check import CheckResult, ImageChecker
from kaiun.controllers.imageupdater.credentials import CredentialResolver
from kaiun.controllers.imageupdater.errors import (
    ConfigError,
    ConstraintError,
    CredentialsError,
    ImageUpdaterError,
    RegistryError,
)
from kaiun.controllers.imageupdater.model import AppImages, ImageSpec, Strategy, WriteBack

__all__ = [
    "AppImages",
    "CheckResult",
    "ConfigError",
    "ConstraintError",
    "CredentialResolver",
    "CredentialsError",
    "ImageChecker",
    "ImageSpec",
    "ImageUpdaterError",
    "RegistryError",
    "Strategy",
    "WriteBack",
]
