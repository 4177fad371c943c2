"""Running external tools (git, kustomize, helm, plugins) safely.

Each process gets a scrubbed environment (nothing of ours leaks into an untrusted repo's
tools), its own process group (so a timeout kills its children too), a time limit and a
cap on how much output it may produce. Secret strings are scrubbed from error messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kaiun.repo.errors import ManifestTooLargeError, RenderError, RenderTimeoutError

__all__ = ["ProcessResult", "ToolFailedError", "base_environment", "run_tool", "scrub"]

# Variables a tool may legitimately need from our environment; everything else is dropped.
# The proxy variables stay so a server behind a corporate proxy reaches its repositories,
# as Argo CD's repo server does.
_PASSTHROUGH = (
    "PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
)  # fmt: skip


def base_environment(home: str) -> dict[str, str]:
    """The scrubbed environment every tool starts from, with ``HOME`` set to ``home``."""
    env = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env["HOME"] = home
    return env


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret occurring in ``text`` with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class ProcessResult:
    """What a finished tool printed."""

    stdout: bytes
    stderr: str


class ToolFailedError(RenderError):
    """A tool exited non-zero; ``stderr`` is already scrubbed of secrets."""

    def __init__(self, tool: str, returncode: int, stderr: str) -> None:
        super().__init__(f"{tool} failed (exit {returncode}): {stderr.strip()[-2000:]}")
        self.tool = tool
        self.returncode = returncode
        self.stderr = stderr


async def _read_capped(stream: asyncio.StreamReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(65536):
        size += len(chunk)
        if size > limit:
            raise ManifestTooLargeError(f"tool output exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_both(
    stdout: asyncio.StreamReader, stderr: asyncio.StreamReader, limit: int
) -> tuple[bytes, bytes]:
    """Both streams, capped; when one fails the other reader is cancelled and awaited, so
    no task outlives the tool (gather would leave it pending)."""
    readers = [
        asyncio.ensure_future(_read_capped(stdout, limit)),
        asyncio.ensure_future(_read_capped(stderr, 1024 * 1024)),
    ]
    try:
        out, err = await asyncio.gather(*readers)
    except BaseException:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        raise
    return out, err


async def _kill_and_reap(proc: asyncio.subprocess.Process) -> None:
    """Kill the tool's group, then drain its pipes and reap it.

    asyncio's ``wait()`` returns only once every pipe has closed, and a pipe whose reader
    stopped (output over the cap) pauses with data still in it and never sees EOF; draining
    what the dead process left is bounded by the pipe buffers.
    """
    _kill_group(proc)
    with contextlib.suppress(Exception):
        async with asyncio.timeout(10):
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    while await stream.read(65536):
                        pass
    await proc.wait()


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def run_tool(
    argv: Sequence[str],
    *,
    cwd: str,
    env: Mapping[str, str],
    time_limit: float,
    max_output: int = 100 * 1024 * 1024,
    stdin: bytes | None = None,
    secrets: Sequence[str] = (),
    display: str | None = None,
) -> ProcessResult:
    """Run ``argv`` and return its output; raise ``ToolFailedError`` on a non-zero exit.

    ``display`` names the command in errors (defaults to ``argv[0]``); pass one when the
    arguments could carry anything sensitive.
    """
    name = display or argv[0]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise RenderError(f"{name}: executable {argv[0]!r} not found on PATH") from None
    assert proc.stdout is not None and proc.stderr is not None
    try:
        async with asyncio.timeout(time_limit):
            if stdin is not None and proc.stdin is not None:
                proc.stdin.write(stdin)
                await proc.stdin.drain()
                proc.stdin.close()
            out, err = await _read_both(proc.stdout, proc.stderr, max_output)
            await proc.wait()
    except TimeoutError:
        await _kill_and_reap(proc)
        raise RenderTimeoutError(f"{name} timed out after {time_limit:g}s and was killed") from None
    except BaseException:
        await _kill_and_reap(proc)
        raise
    finally:
        # A child left behind in the group (a daemonised helper) dies with the tool.
        _kill_group(proc)
    stderr = scrub(err.decode(errors="replace"), secrets)
    if proc.returncode != 0:
        raise ToolFailedError(name, proc.returncode or -1, stderr)
    return ProcessResult(out, stderr)
