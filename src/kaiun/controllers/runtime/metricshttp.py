"""A minimal HTTP/1.1 endpoint for ``/metrics`` and ``/healthz`` on the controller's loop.

Scrapes run on the event loop that owns the informers, so a collector reads their stores
between awaits and never while a watch handler changes them (a thread could).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_MAX_HEADER = 16 * 1024
_READ_TIMEOUT = 10.0


class MetricsServer:
    """Serves ``render()`` at ``/metrics`` (and ``ok`` at ``/healthz``)."""

    def __init__(
        self, render: Callable[[], bytes], host: str = "0.0.0.0", port: int = 8082
    ) -> None:
        self._render = render
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Bind and serve; ``port`` then holds the bound port (useful with 0)."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            if len(head) > _MAX_HEADER:
                await self._reply(writer, 431, b"request header too large\n")
                return
            method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
            path = rest.split(" ", 1)[0].split("?", 1)[0]
            if method not in ("GET", "HEAD"):
                await self._reply(writer, 405, b"method not allowed\n")
            elif path == "/metrics":
                body = self._render()
                await self._reply(writer, 200, b"" if method == "HEAD" else body, CONTENT_TYPE)
            elif path == "/healthz":
                await self._reply(writer, 200, b"ok\n")
            else:
                await self._reply(writer, 404, b"not found\n")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except ConnectionError:
            pass
        except Exception:
            log.exception("metrics request failed")
            with contextlib.suppress(Exception):
                await self._reply(writer, 500, b"internal error\n")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    @staticmethod
    async def _reply(
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        content_type: str = "text/plain; charset=utf-8",
    ) -> None:
        reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 431: "Too Large"}
        head = (
            f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        writer.write(head.encode("latin-1") + body)
        await writer.drain()
