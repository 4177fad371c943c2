"""The image updater controller (L5): Argo CD Image Updater's behaviour in kaiun.

Owns reading both configuration models (0.x Application annotations in :mod:`appannotations`,
1.x ``ImageUpdater`` resources in :mod:`resource`) into one model (:mod:`model`),
``registries.conf`` (:mod:`registries`), update strategies and tag filters
(:mod:`strategies`, :mod:`tagfilter`), credential references (:mod:`credref`,
:mod:`credentials`), the registry client (:mod:`registry`), the check engine (:mod:`check`),
the per-image decision (:mod:`updateplan`) and what write-back writes (:mod:`argocdwriteback`
for the Application and ``.argocd-source`` files, :mod:`filewriteback` for kustomization and
Helm values files, :mod:`gitmessages` for commit messages and write branches), the updater
loop (:mod:`runner`), git write-back (:mod:`gitwrite`) and pull requests (:mod:`pullrequest`),
the per-application record, pins and rollback detection (:mod:`record`), Helm chart version
tracking (:mod:`charts`) and metrics (:mod:`metrics`).

Pure modules (no IO): ``model``, ``imageref``, ``appannotations``, ``resource``, ``resolve``,
``registries``, ``strategies``, ``tagfilter``, ``credref``, ``manifests``, ``updateplan``,
``argocdwriteback``, ``filewriteback``, ``gitmessages``, ``errors``, ``record``, ``charts``,
``metrics``. IO: ``registry``, ``credentials``, ``check``, ``runner``, ``gitwrite``,
``pullrequest``. Must not import ``server``, ``ui``, ``cli`` or another controller.

Surface::

    spec = appannotations.parse(app["metadata"]["annotations"])  # AppImages | None
    checker = ImageChecker(registries.from_configmap(cm_data), CredentialResolver(kube=...))
    result = await checker.check(spec.images[0])               # CheckResult
    updater = Updater(kube_client, "argocd", dry_run=False)     # the loop
    outcomes = await updater.run_once()                         # list[AppOutcome]
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
from kaiun.controllers.imageupdater.runner import AppOutcome, Updater

__all__ = [
    "AppImages",
    "AppOutcome",
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
    "Updater",
    "WriteBack",
]
