"""Gathering from many hosts: a poll of 50 local news sites (HTTP servers on 127.0.0.1, one port each), twice, against
a plain fetch of the same pages (httpx, the same number of threads, no politeness) in the same run.

    .venv/bin/python -m bench.gather [--hosts 50] [--pages 6] [--workers 8] [--per-host-seconds 1.0]

Each site serves a robots.txt, an RSS feed (with an ETag: a second request naming it gets 304 and no body) linking
its ``--pages`` articles and one article of the next site (so every cross-listed article is listed twice), and the
articles (the corpora are not needed: the pages are generated). Prints pages per second of the poll and of the plain
fetch, the fastest rate any one site saw from the first poll (requests over the time between its first and last),
the shortest gap between two requests to one site, the articles asked for more than once over both polls, and the feed
bodies the second poll downloaded. Exit status 1 when a site saw more than its limit (beyond the servers' own
timing noise), an article was fetched twice, or the second poll downloaded a feed body.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tasks.gather.fetch import Fetcher
from tasks.gather.poll import poll
from tasks.gather.sources import Source

TIMING_NOISE = 0.05  # seconds a local server may add to or take from the gap between two requests it receives


class Sites:
    """``hosts`` news sites, each on its own port, and every request they got: (site, path, time, status)."""

    def __init__(self, hosts: int, pages: int) -> None:
        self.pages = pages
        self.requests: list[tuple[int, str, float, int]] = []
        self.lock = threading.Lock()
        self.servers = [self._server(n) for n in range(hosts)]
        self.ports = [s.server_address[1] for s in self.servers]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(self, site: int, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[site]}{path}"

    def _answer(self, site: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
        if path == "/feed.xml":
            if headers.get("if-none-match") == '"v1"':
                return 304, {"ETag": '"v1"'}, b""
            links = [self.url(site, f"/a/{i}") for i in range(self.pages)]
            links.append(self.url((site + 1) % len(self.ports), "/a/0"))  # an article of the next site
            items = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in links)
            return 200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, (
                f'<?xml version="1.0"?><rss version="2.0"><channel><title>site {site}</title>{items}</channel></rss>'
            ).encode()
        if path.startswith("/a/"):
            paragraphs = "".join(f"<p>Site {site} reports on item {path} for the {n}th time: the harbor board met and "
                                 f"agreed on the ferry timetable for the winter months.</p>" for n in range(20))
            return 200, {"Content-Type": "text/html; charset=utf-8"}, (
                f"<html><head><title>Item {path}</title></head><body><article>{paragraphs}</article></body></html>"
            ).encode()
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _server(self, site: int) -> ThreadingHTTPServer:
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers, body = sites._answer(site, self.path, {k.lower(): v for k, v in self.headers.items()})
                with sites.lock:
                    sites.requests.append((site, self.path, time.monotonic(), status))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def plain_fetch(urls: list[str], workers: int) -> float:
    """Seconds to fetch ``urls`` with httpx and ``workers`` threads, as fast as the servers answer."""
    started = time.perf_counter()
    with httpx.Client() as client, ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda url: client.get(url).content, urls))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--per-host-seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    sites = Sites(args.hosts, args.pages)
    sources = [Source(f"site {n}", "feed", sites.url(n, "/feed.xml")) for n in range(args.hosts)]
    try:
        with tempfile.TemporaryDirectory() as out:
            fetcher = Fetcher(per_host_seconds=args.per_host_seconds)
            started = time.perf_counter()
            first = poll(sources, Path(out), fetcher, workers=args.workers)
            first_seconds = time.perf_counter() - started
            mark = len(sites.requests)
            second = poll(sources, Path(out), Fetcher(per_host_seconds=args.per_host_seconds), workers=args.workers)
        polled = list(sites.requests)
        pages = [sites.url(site, path) for site, path, _, _ in polled[:mark] if path.startswith("/a/")]
        plain_seconds = plain_fetch(pages, args.workers)
    finally:
        sites.close()
    per_site: dict[int, list[float]] = defaultdict(list)
    for site, _, at, _ in polled[:mark]:  # the first poll (the second starts its own pacing, as a later run would)
        per_site[site].append(at)
    fastest = max((len(t) - 1) / (max(t) - min(t)) for t in per_site.values() if len(t) > 1)
    gaps = [b - a for t in per_site.values() for a, b in zip(sorted(t), sorted(t)[1:], strict=False)]
    asked = Counter((site, path) for site, path, _, _ in polled if path.startswith("/a/"))
    twice = sum(1 for n in asked.values() if n > 1)
    feed_bodies = sum(1 for site, path, _, status in polled[mark:] if path == "/feed.xml" and status == 200)
    fetched = sum(h.fetched for h in first)
    print(f"\n{args.hosts} sites, {args.pages} articles each plus one of the next site's; {args.workers} workers; "
          f"limit one request per {args.per_host_seconds:g} s per site\n")
    print(f"poll:        {fetched} pages in {first_seconds:.1f} s = {fetched / first_seconds:.1f} pages/s")
    print(f"plain fetch: {len(pages)} pages in {plain_seconds:.2f} s = {len(pages) / plain_seconds:.0f} pages/s "
          f"(no robots.txt, no pacing): the poll runs at {plain_seconds / first_seconds:.3f} of its speed")
    print(f"fastest rate one site saw: {fastest:.2f} requests/s (limit {1 / args.per_host_seconds:.2f}); "
          f"shortest gap between two requests to one site: {min(gaps):.3f} s")
    print(f"articles asked for more than once over both polls: {twice}; cross-listed articles: {args.hosts}")
    print(f"second poll: feed answers {Counter(h.status for h in second)}, feed bodies downloaded {feed_bodies}, "
          f"pages fetched {sum(h.fetched for h in second)}")
    ok = min(gaps) >= args.per_host_seconds - TIMING_NOISE and twice == 0 and feed_bodies == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
