"""Gather against real HTTP servers on 127.0.0.1: feeds, sitemaps, URL lists and robots.txt, with the faults of the
real web, every response kept as a web archive that ingest reads back."""

from __future__ import annotations

import contextlib
import gzip
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from flows import cli
from flows.news_pipeline import news_pipeline
from tasks.gather.fetch import Fetcher
from tasks.gather.poll import SourceHealth, poll, polled_archives
from tasks.gather.sources import Source, read_sources
from tasks.ingest import records_from_file
from tasks.records import RawRecord
from tasks.schemas import SOURCE_HEALTH
from tasks.warehouse import storage
from tests.conftest import ROOT

Answer = tuple[int, dict[str, str], bytes]


def _article(title: str) -> bytes:
    body = "".join(f"<p>{title}: the harbor board met on day {n} and agreed to keep the ferry running through the "
                   f"winter, the chair of the board told reporters after the vote.</p>" for n in range(1, 6))
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>" \
        .encode()


def _rss(*links: str) -> bytes:
    items = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in links)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>'.encode()


@dataclass
class Site:
    """A web site on 127.0.0.1: routes (path → answer, or a function of the request's headers giving one), and
    every request it got (path, headers, time)."""

    routes: dict[str, Answer | Callable[[dict[str, str]], Answer]] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str], float]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self, path: str) -> int:
        return sum(1 for p, _, _ in self.hits if p == path)


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            served.hits.append((self.path, headers, time.monotonic()))
            route = served.routes.get(self.path, (404, {"Content-Type": "text/html"}, b"<p>no such page</p>"))
            status, extra, body = route(headers) if callable(route) else route
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that gave up
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()


HTML = {"Content-Type": "text/html; charset=utf-8"}
FEED = {"Content-Type": "application/rss+xml"}


def _fetcher(**overrides: float) -> Fetcher:
    settings = {"per_host_seconds": 0.0, "timeout": 1.0, "attempts": 2, "backoff": 0.05, "max_bytes": 100_000}
    return Fetcher(**(settings | overrides))  # type: ignore[arg-type]


def _pages(out: Path) -> dict[str, RawRecord]:
    pages = {}
    for archive in polled_archives(out):
        for item in records_from_file(archive):
            if isinstance(item, RawRecord):
                pages[str(item.url)] = item
    return pages


def test_feeds_sitemaps_and_url_lists_are_fetched_once_each_and_archived(site: Site, tmp_path: Path) -> None:
    for n in range(1, 5):
        site.routes[f"/news/{n}"] = (200, HTML, _article(f"Story {n}"))
    site.routes["/feed-a.xml"] = (200, FEED, _rss("/news/1", site.url("/news/2?utm_source=rss")))
    site.routes["/feed-b.xml"] = (200, FEED, _rss(site.url("/news/1#comments")))  # the same article again
    site.routes["/feed-c.xml"] = (200, FEED, _rss("../news/1"))  # and a third time, as a relative link
    site.routes["/sitemap-index.xml"] = (200, {"Content-Type": "application/xml"},
                                         b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                         b"<sitemap><loc>/sitemap-1.xml</loc></sitemap></sitemapindex>")
    site.routes["/sitemap-1.xml"] = (200, {"Content-Type": "application/xml"},
                                     b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>'
                                     + site.url("/news/3").encode() + b"</loc></url><url><loc>/news/1</loc></url>"
                                     b"</urlset>")
    site.routes["/list.txt"] = (200, {"Content-Type": "text/plain"}, b"# today\n/news/4\n/news/2\n")
    sources = [Source("A", "feed", site.url("/feed-a.xml")), Source("B", "feed", site.url("/feed-b.xml")),
               Source("C", "feed", site.url("/feed-c.xml")), Source("D", "sitemap", site.url("/sitemap-index.xml")),
               Source("E", "urls", site.url("/list.txt"))]
    health = poll(sources, tmp_path, _fetcher())
    assert [(h.seen, h.new, h.fetched, h.errors) for h in health] == [(2, 2, 2, 0), (1, 0, 0, 0), (1, 0, 0, 0),
                                                                    (2, 1, 1, 0), (2, 1, 1, 0)]
    # each article asked for once, by its address without tracking parameters or fragment
    assert {n: site.count(f"/news/{n}") for n in range(1, 5)} == {1: 1, 2: 1, 3: 1, 4: 1}
    pages = _pages(tmp_path)
    assert {u for u in pages if "/news/" in u} == {site.url(f"/news/{n}") for n in range(1, 5)}
    assert all(p.fetched_at for p in pages.values())


def test_a_second_poll_downloads_no_unchanged_listing_and_fetches_nothing_again(site: Site, tmp_path: Path) -> None:
    site.routes["/news/1"] = (200, HTML, _article("Story 1"))

    def feed(headers: dict[str, str]) -> Answer:
        if headers.get("if-none-match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {**FEED, "ETag": '"v1"'}, _rss("/news/1")

    site.routes["/feed.xml"] = feed
    sources = [Source("A", "feed", site.url("/feed.xml"))]
    poll(sources, tmp_path, _fetcher())
    second = poll(sources, tmp_path, _fetcher())
    assert [h.status for h in second] == [304]
    assert site.count("/news/1") == 1 and site.count("/feed.xml") == 2
    assert len(list(polled_archives(tmp_path))) == 1  # the second poll fetched nothing, so kept no archive


def test_faults_of_the_real_web(site: Site, tmp_path: Path) -> None:
    tries: Counter[str] = Counter()

    def flaky(_: dict[str, str]) -> Answer:
        tries["flaky"] += 1
        return (500, HTML, b"busy") if tries["flaky"] == 1 else (200, HTML, _article("Back again"))

    def slow(_: dict[str, str]) -> Answer:
        time.sleep(1.5)
        return 200, HTML, _article("Too late")

    site.routes.update({
        "/flaky": flaky, "/slow": slow,
        "/loop-a": (302, {"Location": "/loop-b"}, b""), "/loop-b": (302, {"Location": "/loop-a"}, b""),
        "/moved": (301, {"Location": "/news/moved"}, b""), "/news/moved": (200, HTML, _article("Moved here")),
        "/huge": (200, HTML, b"<p>" + b"x" * 300_000 + b"</p>"),
        "/latin": (200, {"Content-Type": "text/html; charset=iso-8859-1"}, _article("Café society")),
        "/zipped": (200, {**HTML, "Content-Encoding": "gzip"}, gzip.compress(_article("Sent compressed"))),
        "/bad-feed.xml": (200, FEED, b"<rss><channel><item><link>/latin</link></item><item><link>/fla"),
        "/not-a-feed.xml": (200, HTML, b"<html><body>Our feeds have moved</body></html>"),
        "/list.txt": (200, {"Content-Type": "text/plain"},
                      b"/flaky\n/slow\n/loop-a\n/moved\n/huge\n/latin\n/zipped\n/missing\n"),
    })
    health = poll([Source("A", "urls", site.url("/list.txt")), Source("B", "feed", site.url("/bad-feed.xml")),
                   Source("C", "feed", site.url("/not-a-feed.xml"))], tmp_path, _fetcher())
    assert tries["flaky"] == 2  # a server error is tried again
    assert site.count("/slow") == 2  # so is a timeout; then given up
    assert health[0].fetched == 4 and health[0].errors == 4  # flaky, moved, latin, zipped; slow, loop, huge, missing
    pages = _pages(tmp_path)
    assert "Back again" in str(pages[site.url("/flaky")].html)
    assert site.url("/news/moved") in pages  # archived under the address it was found at
    assert "Café society" in str(pages[site.url("/latin")].html)  # declared Latin-1, sent as UTF-8
    assert "Sent compressed" in str(pages[site.url("/zipped")].html)
    assert not {site.url(p) for p in ("/slow", "/loop-a", "/huge")} & pages.keys()
    # a feed cut off is reported, and the link it still holds counts; a page that is no feed is reported
    assert (health[1].seen, health[1].errors, "malformed feed" in str(health[1].error)) == (1, 1, True)
    assert (health[2].seen, health[2].error) == (0, "not an RSS or Atom feed")


def test_robots_txt_is_obeyed_and_hosts_are_spaced(site: Site, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"},
                                  b"User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n")
    for path in ("/news/1", "/news/2", "/news/3", "/private/memo"):
        site.routes[path] = (200, HTML, _article(path))
    site.routes["/list.txt"] = (200, {"Content-Type": "text/plain"}, b"/news/1\n/news/2\n/news/3\n/private/memo\n")
    poll([Source("A", "urls", site.url("/list.txt"))], tmp_path, _fetcher(per_host_seconds=0.1), workers=4)
    assert site.count("/private/memo") == 0 and site.count("/robots.txt") == 1
    times = sorted(t for _, _, t in site.hits)
    # one host, four threads: the robots.txt's Crawl-delay (longer than the fetcher's own 0.1 s) between requests
    # after it, as sent (the server's clock adds its own delays to each)
    assert times[-1] - times[1] >= 0.95 * 1.0 * (len(times) - 2)  # (robots.txt delays are whole seconds)
    assert all(h["user-agent"].startswith("newslake/") for _, h, _ in site.hits)


def test_the_sources_registry_names_its_mistakes(tmp_path: Path) -> None:
    registry = tmp_path / "sources.csv"
    registry.write_text("outlet,kind,url\nHarbor News,feed,https://harbor.example/rss\nX,podcast,https://x.example/\n")
    with pytest.raises(ValueError, match="line 3: kind must be one of feed, sitemap, urls, page"):
        read_sources(registry)


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_polls_its_sources_a_second_adds_nothing_and_a_reparse_fetches_nothing(site: Site,
                                                                                     tmp_path: Path) -> None:
    for n in (1, 2):
        site.routes[f"/news/{n}"] = (200, HTML, _article(f"Ferry story {n}"))
    site.routes["/feed.xml"] = (200, {**FEED, "ETag": '"v1"'}, _rss("/news/1", "/news/2"))
    registry = tmp_path / "sources.csv"
    registry.write_text(f"outlet,kind,url\nHarbor News,feed,{site.url('/feed.xml')}\n")
    out = tmp_path / "w"
    first = news_pipeline(inputs=[], out=str(out), sources=str(registry))
    second = news_pipeline(inputs=[], out=str(out), sources=str(registry))
    assert first.articles_in_run == 2 and second.articles_in_run == 0 and second.version is None
    again = news_pipeline(inputs=[], out=str(out), reparse=True)  # what was gathered, read again: nothing fetched
    assert again.files_processed == 1 and again.articles_in_run == 2 and again.version is not None
    assert site.count("/news/1") == site.count("/news/2") == 1
    site.routes["/news/3"] = (200, HTML, _article("Ferry story 3"))
    page = news_pipeline(inputs=[site.url("/news/3")], out=str(out))  # a web page given as an input: fetched
    assert page.articles_in_run == 1 and site.count("/news/3") == 1
    urls = storage.open_duckdb(out).sql(
        "select url from articles order by url").fetchall()
    assert urls == [(site.url(f"/news/{n}"),) for n in (1, 2, 3)]
    health = storage.open_duckdb(out).sql(
        "select kind, status, seen, new, fetched from source_health order by polled_at").fetchall()
    assert health == [("feed", 200, 2, 2, 2), ("feed", 200, 2, 0, 0), ("page", 0, 1, 1, 1)]


def test_source_health_rows_are_the_declared_schema() -> None:
    assert [f.name for f in fields(SourceHealth)] == SOURCE_HEALTH.names


def test_a_web_address_given_as_an_input_stays_one() -> None:
    args = cli.build_parser().parse_args(["run", "https://harbor.example/news/1", "notes.txt", "--out", "w"])
    inputs = cli.flow_parameters(args)["inputs"]
    assert inputs[0] == "https://harbor.example/news/1" and Path(inputs[1]).is_absolute()


@pytest.mark.usefixtures("prefect_harness")
def test_a_poll_killed_mid_way_loses_nothing_and_fetches_again_only_what_was_in_flight(site: Site,
                                                                                      tmp_path: Path) -> None:
    def slow_article(n: int) -> Callable[[dict[str, str]], Answer]:
        def answer(_: dict[str, str]) -> Answer:
            time.sleep(0.15)
            return 200, HTML, _article(f"Harbor story {n}")
        return answer

    for n in range(12):
        site.routes[f"/news/{n}"] = slow_article(n)
    listing = "".join(f"/news/{n}\n" for n in range(12)).encode()
    site.routes["/list.txt"] = (200, {"Content-Type": "text/plain"}, listing)
    registry = tmp_path / "sources.csv"
    registry.write_text(f"outlet,kind,url\nHarbor News,urls,{site.url('/list.txt')}\n")
    out = tmp_path / "w"
    command = [sys.executable, "-m", "flows.cli", "run", "--sources", str(registry), "--out", str(out)]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while sum(site.count(f"/news/{n}") for n in range(12)) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)  # newslake, one page a second from this host, five pages in
    assert child.wait(timeout=60) == -signal.SIGKILL
    summary = news_pipeline(inputs=[], out=str(out), sources=str(registry))  # polls again, then reads the raw area
    asked = [site.count(f"/news/{n}") for n in range(12)]
    assert min(asked) == 1 and sum(asked) - 12 <= 1  # again: at most the one in flight (one at a time per host)
    titles = storage.open_duckdb(out).sql(
        "select title from articles order by title").fetchall()
    assert sorted(t for (t,) in titles) == sorted(f"Harbor story {n}" for n in range(12))  # each once
    assert summary.quarantined.keys() <= {"corrupt_record", "duplicate"}  # a record cut off by the kill, at most
