"""A poll: every source's listing fetched (a conditional GET: an unchanged feed costs no body), the article links in
it that were never fetched before fetched once, and every page's response written into a web archive in the
warehouse's raw area (``DIR/raw/polls/*.warc.gz``) before anything parses it: the ingest stage reads those archives
like any other input, and a later, better clean stage can read them again without fetching anything.

The raw area also holds what makes the next poll cheap and safe: ``fetched.txt``, each page's normalised URL,
appended once its record is in the archive (so a poll killed mid-way fetches again only the page it was writing);
``validators.json``, each listing's ETag and Last-Modified; ``health.jsonl``, one line per source per poll (status,
links seen, new, errors).
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path
from typing import BinaryIO, NamedTuple
from urllib.parse import urlsplit

from prefect import task
from prefect.cache_policies import NONE

from tasks.gather.archive import RESPONSE, archive_record, response_block
from tasks.gather.fetch import Fetcher, Response
from tasks.gather.listings import BadListing, normalised, read_listing
from tasks.gather.sources import Source, read_sources
from tasks.warehouse import storage
from tasks.warehouse.duckdb_file import SOURCE_HEALTH_FILE

log = logging.getLogger(__name__)

MAX_SITEMAPS = 50  # sitemaps of an index read per poll: an index of a whole site's history is not read at once


@dataclass(frozen=True, slots=True)
class SourceHealth:  # a row of tasks.schemas.SOURCE_HEALTH
    polled_at: str
    outlet: str
    kind: str
    url: str
    status: int  # the listing's HTTP status (304: unchanged); 0 when none came
    seen: int  # article links the listing holds
    new: int  # of them, never fetched before
    fetched: int  # of the new ones, fetched with status 200
    errors: int  # listings and pages that failed
    error: str | None  # why the listing failed, if it did


class Polled(NamedTuple):
    """What a source's listing came to."""

    status: int  # the listing's HTTP status; 0 for a page source, or when no answer came
    links: list[str]  # the article links it holds, normalised
    errors: int  # listings that failed or were malformed
    error: str | None  # why the first one failed


def raw_area(out: str | Path) -> Path:
    return Path(out) / storage.RAW_AREA


def poll(sources: Sequence[Source], out: str | Path, fetcher: Fetcher | None = None,
         workers: int = 8) -> list[SourceHealth]:
    """Poll ``sources`` into the raw area of the warehouse at ``out``, ``workers`` requests at a time (the fetcher
    keeps each host to its own pace); the health of each source."""
    if fetcher is None:
        fetcher = Fetcher()
        try:
            return poll(sources, out, fetcher, workers)
        finally:
            fetcher.close()
    raw = raw_area(out)
    (raw / "polls").mkdir(parents=True, exist_ok=True)
    validators = _read_json(raw / "validators.json")
    fetched = _fetched(raw / "fetched.txt")
    stamp = datetime.now(UTC)
    archive_path = raw / "polls" / f"{stamp:%Y%m%dT%H%M%S%fZ}.warc.gz"
    with ThreadPoolExecutor(workers) as pool:
        listings = list(pool.map(lambda source: _listing(source, fetcher, validators), sources))
        new: dict[str, int] = {}  # page -> the first source listing it: a page several list is fetched once
        for n, listing in enumerate(listings):
            for url in listing.links:
                if url not in fetched:
                    new.setdefault(url, n)
        pages = Counter[int]()
        errors = Counter({n: listing.errors for n, listing in enumerate(listings)})
        with archive_path.open("ab") as archive, (raw / "fetched.txt").open("a", encoding="utf-8") as done:
            # each response kept as soon as it comes (threads waiting for one host finish in any order): a poll
            # killed now has fetched nothing it has not recorded but the requests in flight
            for future in as_completed([pool.submit(fetcher.get, url) for url in _by_turns(list(new))]):
                response = future.result()
                _archive(archive, response)
                if 0 < response.status < 500:  # an answer came: it is in the archive, not to be asked again
                    done.write(f"{normalised(response.url) or response.url}\n")
                    done.flush()
                good = response.status == 200 and response.error is None
                pages[new[response.url]] += good
                errors[new[response.url]] += not good
    # only now: a poll killed before its pages were fetched must not find their listings "unchanged" next time
    _write_json(raw / "validators.json", validators)
    health = [SourceHealth(f"{stamp:%Y-%m-%dT%H:%M:%SZ}", source.outlet, source.kind, source.url, status, len(links),
                           sum(1 for u in links if new.get(u) == n), pages[n], errors[n], error)
              for n, (source, (status, links, _, error)) in enumerate(zip(sources, listings, strict=True))]
    with (raw / SOURCE_HEALTH_FILE).open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(asdict(h)) + "\n" for h in health)
    if archive_path.stat().st_size == 0:
        archive_path.unlink()
    return health


def _by_turns(urls: list[str]) -> list[str]:
    """The URLs host by host in turn (a page of each host, then a second of each …), so the workers are spread
    over the hosts rather than all waiting for one."""
    hosts: dict[str, list[str]] = {}
    for url in urls:
        hosts.setdefault(urlsplit(url).netloc, []).append(url)
    return [url for turn in zip_longest(*hosts.values()) for url in turn if url is not None]


def _listing(source: Source, fetcher: Fetcher, validators: dict[str, dict[str, str]]) -> Polled:
    """The source's listing (and a sitemap index's sitemaps), read."""
    if source.kind == "page":  # nothing to list: the page is fetched like a listed one
        page = normalised(source.url)
        return Polled(0, [page], 0, None) if page else Polled(0, [], 1, "not a web page address")
    links: list[str] = []
    errors, first_status, first_error = 0, 0, None
    queue, read = [source.url], 0
    while queue and read <= MAX_SITEMAPS:
        url = queue.pop(0)
        read += 1
        known = validators.get(url, {})
        response = fetcher.get(url, etag=known.get("etag"), last_modified=known.get("last_modified"))
        error = response.error or (None if response.status in (200, 304) else "http_status")
        if read == 1:
            first_status, first_error = response.status, error
        if error or response.status == 304:
            errors += error is not None
            continue
        try:
            listing = read_listing(source.kind, response.body, response.final_url)
        except BadListing as problem:
            errors += 1
            first_error = first_error or str(problem)
            continue
        if listing.problem:
            errors += 1
            first_error = first_error or listing.problem
        validators[url] = {k: v for k, v in (("etag", response.headers.get("etag")),
                                             ("last_modified", response.headers.get("last-modified"))) if v}
        links += [u for u in listing.pages if u not in links]
        queue += listing.sitemaps
    return Polled(first_status, links, errors, first_error)


def _archive(archive: BinaryIO, response: Response) -> None:
    if not response.status or response.error == "too_large":
        return
    block = response_block(response.status, response.reason, response.headers, response.body)
    headers = {"WARC-Target-URI": response.final_url, "WARC-Date": response.fetched_at, **RESPONSE}
    archive.write(archive_record("response", headers, block))
    archive.flush()
    os.fsync(archive.fileno())  # on disk before its URL is marked fetched


def _fetched(path: Path) -> set[str]:
    return set(path.read_text(encoding="utf-8").split()) if path.exists() else set()


def _read_json(path: Path) -> dict[str, dict[str, str]]:
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else {}


def _write_json(path: Path, value: object) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(value, indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(path)


def polled_archives(out: str | Path) -> Iterator[Path]:
    yield from sorted((raw_area(out) / "polls").glob("*.warc.gz"))


@task(name="gather", cache_policy=NONE)
def gather_task(sources_file: str | None, pages: list[str], out: str) -> list[dict[str, object]]:
    """Poll the sources of ``sources_file`` and fetch the ``pages`` (URLs given as inputs) into the raw area of the
    warehouse at ``out``."""
    sources = read_sources(sources_file) if sources_file else []
    health = poll([*sources, *(Source("", "page", url) for url in pages)], out)
    for h in health:
        log.info("source %s (%s): status %s, %d links, %d new, %d fetched, %d errors%s", h.url, h.kind, h.status,
                 h.seen, h.new, h.fetched, h.errors, f" ({h.error})" if h.error else "")
    return [asdict(h) for h in health]
