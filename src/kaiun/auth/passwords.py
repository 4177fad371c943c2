"""Password hashing and generation: bcrypt as Argo CD stores it, CSPRNG-made passwords."""

from __future__ import annotations

import secrets
import string

import bcrypt

__all__ = ["DEFAULT_COST", "generate_password", "hash_password", "verify_password"]

DEFAULT_COST = 10
"""bcrypt's default cost, the one Argo CD uses."""
_ALPHABET = string.ascii_letters + string.digits
_INITIAL_LENGTH = 16
# bcrypt reads at most 72 bytes; longer passwords would silently share a hash.
_BCRYPT_MAX = 72


def generate_password(length: int = _INITIAL_LENGTH) -> str:
    """A random alphanumeric password from the OS's CSPRNG."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def hash_password(password: str, *, cost: int = DEFAULT_COST) -> str:
    """The bcrypt hash (``$2b$...``) of ``password``."""
    raw = password.encode()
    if len(raw) > _BCRYPT_MAX:
        raise ValueError(f"passwords are at most {_BCRYPT_MAX} bytes")
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=cost)).decode()


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches the bcrypt ``hashed``; False for an empty or bad hash."""
    raw = password.encode()
    if not hashed or len(raw) > _BCRYPT_MAX:
        return False
    try:
        return bcrypt.checkpw(raw, hashed.encode())
    except ValueError:
        return False
