"""The shared manifest cache of distributed mode: Redis, authenticated and signed.

Every entry is ``HMAC-SHA256(key, payload) || zlib(payload)``: a replica trusts only what a
holder of the HMAC key wrote, so someone who can write to Redis cannot inject manifests
(facts §5.8 item 6). A bad signature or an unreadable entry counts as a miss and is logged.
Entries expire after the same 24 h as the in-process cache.

Replicas also take turns on a key (``claim``/``release``, a lease in Redis that expires if
its holder dies), so identical requests reaching different replicas render once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import zlib
from typing import Any

import orjson

from kaiun.repo.cache import DEFAULT_TTL_SECONDS
from kaiun.repo.contract import ManifestResponse

__all__ = ["RedisManifestCache"]

log = logging.getLogger(__name__)
_SIG = hashlib.sha256().digest_size
# Delete the lease only if it is still ours (it may have expired and been taken since).
_RELEASE = (
    'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0'
)


class RedisManifestCache:
    """``ManifestStore`` over a ``redis.asyncio.Redis`` client."""

    def __init__(
        self,
        client: Any,
        *,
        hmac_key: bytes,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        prefix: str = "kaiun:manifests:",
    ) -> None:
        if len(hmac_key) < 16:
            raise ValueError("the manifest cache HMAC key must be at least 16 bytes")
        self._client = client
        self._hmac_key = hmac_key
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix

    def _sign(self, key: str, payload: bytes) -> bytes:
        return hmac.new(self._hmac_key, key.encode() + b"\0" + payload, hashlib.sha256).digest()

    async def get(self, key: str) -> ManifestResponse | None:
        """The stored response, or None when absent, expired, unsigned or tampered with."""
        raw = await self._client.get(self.prefix + key)
        if raw is None:
            return None
        signature, packed = raw[:_SIG], raw[_SIG:]
        try:
            payload = zlib.decompress(packed)
        except zlib.error:
            log.warning("manifest cache entry unreadable key=%s", key)
            return None
        if not hmac.compare_digest(signature, self._sign(key, payload)):
            log.warning("manifest cache entry failed its signature check key=%s", key)
            return None
        return ManifestResponse.from_dict(orjson.loads(payload))

    async def put(self, key: str, response: ManifestResponse) -> None:
        """Store ``response`` signed, compressed and with the TTL."""
        payload = orjson.dumps(response.to_dict())
        value = self._sign(key, payload) + zlib.compress(payload, 1)
        await self._client.set(self.prefix + key, value, ex=max(1, int(self.ttl_seconds)))

    def _lease(self, key: str) -> str:
        return f"{self.prefix.rstrip(':')}-lease:{key}"

    async def claim(self, key: str, seconds: float) -> str | None:
        """A token when this replica may render ``key`` now (held for at most ``seconds``);
        None while another replica holds it."""
        token = secrets.token_hex(16)
        taken = await self._client.set(
            self._lease(key), token, nx=True, px=max(1, int(seconds * 1000))
        )
        return token if taken else None

    async def release(self, key: str, token: str) -> None:
        """Give up the lease ``claim`` returned ``token`` for."""
        await self._client.eval(_RELEASE, 1, self._lease(key), token)

    async def clear(self) -> None:
        """Delete every entry under this cache's prefix."""
        async for name in self._client.scan_iter(match=self.prefix + "*", count=500):
            await self._client.delete(name)
