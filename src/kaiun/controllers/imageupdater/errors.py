"""The image updater's error tree; every message names what to fix and never a secret.

::

    ImageUpdaterError
    ├── ConfigError          an annotation, ImageUpdater resource or registries.conf is wrong
    │   └── ConstraintError  a version constraint or tag filter cannot be parsed
    ├── CredentialsError     a pull secret / credentials reference cannot be resolved
    └── RegistryError        talking to a registry failed; ``step`` says where
"""

from __future__ import annotations


class ImageUpdaterError(Exception):
    """Base of every image updater error."""


class ConfigError(ImageUpdaterError):
    """A configuration value (annotation, resource field, registries.conf) is invalid."""


class ConstraintError(ConfigError):
    """A version constraint or tag filter cannot be parsed."""


class CredentialsError(ImageUpdaterError):
    """Credentials could not be resolved from the reference given."""


class RegistryError(ImageUpdaterError):
    """A registry request failed at one step of the conversation.

    ``step`` is one of ``ping``, ``token``, ``basic-auth``, ``tag-list``, ``manifest``,
    ``config-blob`` or ``connect``, so a user sees which part of the exchange to look at.
    """

    def __init__(self, step: str, registry: str, message: str) -> None:
        super().__init__(f"{step} failed for registry {registry}: {message}")
        self.step = step
        self.registry = registry
