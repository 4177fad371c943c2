"""Registry credential references and the formats they point at (pure).

A reference is one of ``pullsecret:<ns>/<name>`` (a ``kubernetes.io/dockerconfigjson``
Secret), ``secret:<ns>/<name>#<field>`` (a Secret field holding ``user:password``),
``env:<VAR>`` (an environment variable holding ``user:password``) or ``ext:<path>`` (a script
printing ``user:password``). Reading the Secret, variable or script is the caller's IO; this
module parses the reference and the values. Nothing here ever puts a password in a message.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from kaiun.controllers.imageupdater.errors import CredentialsError

KINDS = ("pullsecret", "secret", "env", "ext")


@dataclass(frozen=True)
class Credentials:
    """A username and password; the password never appears in ``repr``."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class CredentialRef:
    """A parsed reference: ``kind`` and its parts (``field`` only for ``secret:``)."""

    kind: str
    namespace: str = ""
    name: str = ""
    field: str = ""
    value: str = ""

    def __str__(self) -> str:
        if self.kind == "pullsecret":
            return f"pullsecret:{self.namespace}/{self.name}"
        if self.kind == "secret":
            return f"secret:{self.namespace}/{self.name}#{self.field}"
        return f"{self.kind}:{self.value}"


def parse_ref(text: str) -> CredentialRef:
    """Parse a credentials reference."""
    kind, sep, rest = text.strip().partition(":")
    if not sep or kind not in KINDS or not rest:
        raise CredentialsError(
            f"credentials reference {_safe(text)!r} is not valid: use pullsecret:<ns>/<name>, "
            "secret:<ns>/<name>#<field>, env:<VARIABLE> or ext:<script path>"
        )
    if kind in ("env", "ext"):
        return CredentialRef(kind, value=rest)
    path, _, key = rest.partition("#")
    ns, _, name = path.partition("/")
    if not ns or not name or "/" in name:
        raise CredentialsError(f"credentials reference {kind}:{path!r} needs <namespace>/<name>")
    if kind == "secret" and not key:
        raise CredentialsError(f"credentials reference secret:{path} needs #<field>")
    return CredentialRef(kind, ns, name, key)


def _safe(text: str) -> str:
    # A reference mistakenly holding "user:password" must not be echoed whole.
    head = text.strip().split(":", 1)[0]
    return head + ":…" if ":" in text else head


def user_password(text: str, *, source: str) -> Credentials:
    """Parse ``user:password`` (trailing newline allowed) read from ``source``."""
    user, sep, password = text.strip().partition(":")
    if not sep or not user:
        raise CredentialsError(f"{source} does not hold credentials in the form <user>:<password>")
    return Credentials(user, password)


def _host(key: str) -> str:
    host = key.split("://", 1)[-1]
    return host.split("/", 1)[0].lower()


def from_dockerconfigjson(raw: str | bytes, hosts: tuple[str, ...], *, source: str) -> Credentials:
    """The credentials for the first of ``hosts`` found in a ``.dockerconfigjson`` document."""
    try:
        doc = json.loads(raw)
    except ValueError:
        raise CredentialsError(f"{source}: .dockerconfigjson is not valid JSON") from None
    auths = doc.get("auths") if isinstance(doc, Mapping) else None
    if not isinstance(auths, Mapping):
        raise CredentialsError(f"{source}: .dockerconfigjson has no 'auths' mapping")
    by_host = {_host(k): v for k, v in auths.items() if isinstance(v, Mapping)}
    wanted = [h.lower() for h in hosts]
    for host in wanted:
        entry = by_host.get(host)
        if entry is not None:
            return _entry_credentials(entry, host, source)
    raise CredentialsError(
        f"{source}: .dockerconfigjson has no entry for {' or '.join(hosts)} "
        f"(it has: {', '.join(sorted(by_host)) or 'none'})"
    )


def _entry_credentials(entry: Mapping[str, object], host: str, source: str) -> Credentials:
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            decoded = base64.b64decode(auth, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise CredentialsError(f"{source}: the auth for {host} is not base64") from None
        return user_password(decoded, source=f"{source} (auth for {host})")
    user, password = entry.get("username"), entry.get("password")
    if isinstance(user, str) and isinstance(password, str) and user:
        return Credentials(user, password)
    raise CredentialsError(f"{source}: the entry for {host} has neither auth nor username/password")
