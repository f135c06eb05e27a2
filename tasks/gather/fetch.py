"""Fetching as a good citizen: robots.txt obeyed (its Crawl-delay too), one request per host at a time and at most
one a second by default (however many threads ask), a user agent that names the project, timeouts, retries with
backoff on server errors and network failures only, redirects followed up to a cap, bodies cut off at a size cap,
conditional GET (ETag, Last-Modified) for what is polled again. httpx does HTTP (and gzip, deflate, brotli);
urllib's robot parser reads robots.txt. Retries are the fetcher's, per request, not Prefect's per task: a poll is
one task over many hosts, and retrying it would ask every host again.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from urllib import robotparser
from urllib.parse import urljoin, urlsplit

import httpx

ROBOTS_AGENT = "newslake"
USER_AGENT = f"{ROBOTS_AGENT}/{version('newslake')} (news analytics; +https://github.com/newslake/newslake)"
REDIRECTS = (301, 302, 303, 307, 308)
MAX_CRAWL_DELAY = 60.0  # seconds: a robots.txt asking for more is heeded this far (a poll must end)


@dataclass(frozen=True, slots=True)
class Response:
    """What one GET came to: the response, or why there is none (``error``)."""

    url: str  # as asked
    final_url: str  # after redirects
    status: int  # HTTP status; 0 when no response came (see error)
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fetched_at: str = ""  # ISO 8601, UTC
    error: str | None = None  # robots, timeout, network, redirects, too_large, http_status


@dataclass(slots=True)
class Fetcher:
    """A polite HTTP client shared by the threads of a poll."""

    per_host_seconds: float = 1.0  # at least this long between two requests to one host
    timeout: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    attempts: int = 3  # tries of a request failing with a server error or a network failure
    backoff: float = 2.0  # seconds before the second try, doubling after
    client: httpx.Client = field(default_factory=lambda: httpx.Client(
        headers={"User-Agent": USER_AGENT}, follow_redirects=False))  # the timeout is given per request
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_slot: dict[str, float] = field(default_factory=dict)
    _host_locks: dict[str, threading.Lock] = field(default_factory=dict)
    _robots: dict[str, robotparser.RobotFileParser] = field(default_factory=dict)
    _crawl_delay: dict[str, float] = field(default_factory=dict)  # host -> the Crawl-delay its robots.txt asks

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET ``url`` following redirects; with ``etag`` or ``last_modified``, a 304 when it has not changed."""
        conditional = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        seen = {url}
        current = url
        for _ in range(self.max_redirects + 1):
            if not self.allowed(current):
                return Response(url, current, 0, error="robots")
            response = self._with_retries(current, conditional)
            location = response.headers.get("location")
            if response.status not in REDIRECTS or not location:
                return Response(url, current, response.status, response.reason, response.headers, response.body,
                                response.fetched_at, response.error)
            current = urljoin(current, location)
            if current in seen:
                return Response(url, current, response.status, error="redirects")  # a loop
            seen.add(current)
        return Response(url, current, 0, error="redirects")

    def allowed(self, url: str) -> bool:
        """What the host's robots.txt says of ``url``: a missing one (4xx) allows all, an unreachable one (5xx or
        no answer) allows nothing for now (RFC 9309)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            robots = self._robots.get(origin)
        if robots is None:
            answer = self._with_retries(origin + "/robots.txt", {})
            robots = robotparser.RobotFileParser()
            if 200 <= answer.status < 300:
                robots.parse(answer.body.decode("utf-8", "replace").splitlines())
            else:
                robots.parse([] if 400 <= answer.status < 500 else ["User-agent: *", "Disallow: /"])
            with self._lock:
                self._robots[origin] = robots
                if delay := robots.crawl_delay(ROBOTS_AGENT):
                    self._crawl_delay[parts.netloc] = min(float(delay), MAX_CRAWL_DELAY)
        return robots.can_fetch(ROBOTS_AGENT, url)

    def _with_retries(self, url: str, headers: dict[str, str]) -> Response:
        response = Response(url, url, 0, error="network")
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            response = self._once(url, headers)
            if response.status < 500 and response.error not in ("network", "timeout"):
                return response
        return response

    def _once(self, url: str, headers: dict[str, str]) -> Response:
        host = urlsplit(url).netloc
        with self._host_lock(host):  # one request per host at a time, spaced
            self._wait_for(host)
            fetched_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            try:
                with self.client.stream("GET", url, headers=headers, timeout=self.timeout) as answer:
                    body = bytearray()
                    for chunk in answer.iter_bytes():
                        body += chunk
                        if len(body) > self.max_bytes:
                            return Response(url, url, answer.status_code, answer.reason_phrase,
                                            dict(answer.headers), b"", fetched_at, "too_large")
                    return Response(url, url, answer.status_code, answer.reason_phrase, dict(answer.headers),
                                    bytes(body), fetched_at)
            except httpx.TimeoutException:
                return Response(url, url, 0, fetched_at=fetched_at, error="timeout")
            except httpx.HTTPError:
                return Response(url, url, 0, fetched_at=fetched_at, error="network")

    def _host_lock(self, host: str) -> threading.Lock:
        with self._lock:
            return self._host_locks.setdefault(host, threading.Lock())

    def _wait_for(self, host: str) -> None:
        """Sleep until the host may be asked again (called holding the host's lock)."""
        now = time.monotonic()
        ready = self._next_slot.get(host, now)
        if ready > now:
            time.sleep(ready - now)
        self._next_slot[host] = max(ready, now) + max(self.per_host_seconds, self._crawl_delay.get(host, 0.0))
