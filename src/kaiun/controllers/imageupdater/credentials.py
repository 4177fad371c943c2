"""Resolving registry credential references (IO: Secrets, environment, scripts).

``pullsecret:`` and ``secret:`` read a Secret through :class:`kaiun.kube.KubeClient`;
``env:`` reads the environment mapping it is given (the caller decides which — nothing here
reads ``os.environ``); ``ext:`` runs a script and reads ``user:password`` from its output.
Errors name the reference and what is wrong with it, never the secret's value.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field

from kaiun.controllers.imageupdater import credref
from kaiun.controllers.imageupdater.credref import Credentials
from kaiun.controllers.imageupdater.errors import CredentialsError
from kaiun.kube import KubeClient
from kaiun.kube import errors as kube_errors

EXT_TIMEOUT = 60.0


@dataclass
class CredentialResolver:
    """Resolves references; ``kube`` may be None when no Secret is needed."""

    kube: KubeClient | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    ext_timeout: float = EXT_TIMEOUT
    # Every password resolved so far, so the updater can keep them out of its records.
    seen: set[str] = field(default_factory=set, repr=False)

    async def resolve(self, reference: str, *, hosts: tuple[str, ...]) -> Credentials:
        """Credentials for ``reference``; ``hosts`` select the pull-secret entry."""
        found = await self._resolve(reference, hosts)
        if found.password:
            self.seen.add(found.password)
        return found

    async def _resolve(self, reference: str, hosts: tuple[str, ...]) -> Credentials:
        ref = credref.parse_ref(reference)
        if ref.kind == "env":
            if ref.value not in self.environ:
                raise CredentialsError(f"env:{ref.value}: the variable is not set")
            return credref.user_password(self.environ[ref.value], source=str(ref))
        if ref.kind == "ext":
            return await self._script(ref)
        data = await self._secret_data(ref)
        key = ".dockerconfigjson" if ref.kind == "pullsecret" else ref.field
        if key not in data:
            raise CredentialsError(f"{ref}: the Secret has no field {key!r}")
        try:
            value = base64.b64decode(data[key], validate=True)
        except (binascii.Error, ValueError):
            raise CredentialsError(f"{ref}: field {key!r} is not base64") from None
        if ref.kind == "pullsecret":
            return credref.from_dockerconfigjson(value, hosts, source=str(ref))
        try:
            text = value.decode()
        except UnicodeDecodeError:
            raise CredentialsError(f"{ref}: field {key!r} is not text") from None
        return credref.user_password(text, source=str(ref))

    async def _secret_data(self, ref: credref.CredentialRef) -> Mapping[str, str]:
        if self.kube is None:
            raise CredentialsError(f"{ref}: no cluster connection to read the Secret from")
        try:
            secret = await self.kube.get("v1", "Secret", ref.name, ref.namespace)
        except kube_errors.NotFound:
            raise CredentialsError(f"{ref}: Secret {ref.namespace}/{ref.name} not found") from None
        except kube_errors.KubeError as exc:
            raise CredentialsError(f"{ref}: cannot read the Secret: {exc}") from None
        return secret.get("data") or {}

    async def _script(self, ref: credref.CredentialRef) -> Credentials:
        try:
            proc = await asyncio.create_subprocess_exec(
                ref.value,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError as exc:
            raise CredentialsError(f"{ref}: cannot run the script: {exc.strerror}") from None
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), self.ext_timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise CredentialsError(
                f"{ref}: the script ran longer than {self.ext_timeout}s"
            ) from None
        if proc.returncode != 0:
            raise CredentialsError(f"{ref}: the script exited with status {proc.returncode}")
        return credref.user_password(out.decode(errors="replace"), source=str(ref))
