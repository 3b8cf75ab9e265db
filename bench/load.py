"""A small HTTP load generator (asyncio + aiohttp, already installed as localstripe's dependency).

Only for 127.0.0.1 targets, and bounded: every run stops after ``seconds`` or ``requests``,
whichever comes first. ``run``: ``connections`` clients each send one request at a time over a
kept-alive connection (like wrk's connections), so the rate measured is what the server
sustains at that concurrency. ``run_open``: requests sent at a steady rate whatever the answers
take (an open loop, as people arrive), each latency counted from when it was due to be sent.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp


@dataclass
class Result:
    count: int = 0
    errors: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    def describe(self) -> str:
        return (
            f"{self.rate:,.1f}/s ({self.count} in {self.seconds:.1f}s, p50 {self.percentile(0.5) * 1000:.0f} ms, "
            f"p99 {self.percentile(0.99) * 1000:.0f} ms, errors {self.errors})"
        )


def _local_only(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load only against this machine, not {host}")


# One request: given the session and the request's number, returns the HTTP status.
Request = Callable[[aiohttp.ClientSession, int], Awaitable[int]]


def get(url: str) -> Request:
    _local_only(url)

    async def request(session: aiohttp.ClientSession, n: int) -> int:
        async with session.get(url) as response:
            await response.read()
            return response.status

    return request


async def _run(request: Request, *, connections: int, seconds: float, requests: int | None, ok: set[int]) -> Result:
    result = Result()
    started = time.monotonic()
    stop_at = started + seconds
    counter = iter(range(requests if requests is not None else 10**12))
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)

    async def client(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < stop_at:
            n = next(counter, None)
            if n is None:
                return
            sent = time.monotonic()
            try:
                status = await request(session, n)
            except (TimeoutError, aiohttp.ClientError):
                result.errors += 1
                continue
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status in ok:
                result.count += 1
                result.latencies.append(time.monotonic() - sent)
            else:
                result.errors += 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(client(session) for _ in range(connections)))
    result.seconds = time.monotonic() - started
    return result


def run(
    request: Request,
    *,
    connections: int,
    seconds: float,
    requests: int | None = None,
    ok: tuple[int, ...] = (200,),
    warmup: float = 0.0,
) -> Result:
    """Drive ``request`` from ``connections`` clients for at most ``seconds`` (and ``requests``)."""
    if warmup:
        asyncio.run(_run(request, connections=connections, seconds=warmup, requests=None, ok=set(ok)))
    return asyncio.run(_run(request, connections=connections, seconds=seconds, requests=requests, ok=set(ok)))


async def _run_open(
    request: Request, *, rate: float, seconds: float, requests: int | None, ok: set[int], stop: threading.Event | None
) -> Result:
    result = Result()
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=60)

    async def one(session: aiohttp.ClientSession, n: int, due: float) -> None:
        try:
            status = await request(session, n)
        except (TimeoutError, aiohttp.ClientError):
            result.errors += 1
            return
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if status in ok:
            result.count += 1
            result.latencies.append(time.monotonic() - due)
        else:
            result.errors += 1

    sent: list[asyncio.Task[None]] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        n = 0
        while (requests is None or n < requests) and not (stop is not None and stop.is_set()):
            due = started + n / rate
            if due - started >= seconds:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            sent.append(asyncio.create_task(one(session, n, due)))
            n += 1
        await asyncio.gather(*sent)
    result.seconds = time.monotonic() - started
    return result


def run_open(
    request: Request,
    *,
    rate: float,
    seconds: float,
    requests: int | None = None,
    ok: tuple[int, ...] = (200,),
    stop: threading.Event | None = None,
) -> Result:
    """Send ``request`` ``rate`` times a second for at most ``seconds`` (and ``requests``, and until
    ``stop`` is set), without waiting for answers; then wait for every answer."""
    return asyncio.run(_run_open(request, rate=rate, seconds=seconds, requests=requests, ok=set(ok), stop=stop))
