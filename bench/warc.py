"""Web archives: newslake's WARC reader against the WARC library alone, on CC-NEWS-like archives of the corpora's
HTML pages, in one run.

    .venv/bin/python -m bench.warc [--corpora ../shared/corpora] [--sizes-mb 100,1024] [--keep DIR]

For each size an archive (``.warc.gz``, one gzip member per record) is built in a temporary folder (nothing is
written into the repository) from the HTML pages of the htmldate, Mercury and ScrapingHub corpora, taken in turn,
each under a URL of its own, as request, response and metadata records like CC-NEWS, with a 404 and a redirect
every 50 pages. Each archive is then read in fresh processes, one reader at a time:

  library   fastwarc alone: every record, the status and type of each response, the body of each HTML 200 page
  newslake  ``tasks.ingest.records_from_file``: the same, and what ingest does to a page (the text decoded, a large
            page's markup reduced, a RawRecord with its URL and fetch time)

Prints, per archive and reader, records and megabytes (of the archive file) per second, newslake's speed as a share
of the library's, and each process's peak resident memory (and its memory once its modules are imported).
newslake's memory must not grow with the archive: the largest archive's peak is checked to be within 10% of the
smallest's (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
PAGE_SOURCES = ("htmldate_pubdate/html", "mercury_parser_fixtures/html", "scrapinghub_article_extraction/html")
MEMORY_TOLERANCE = 0.10


def corpus_pages(corpora: Path) -> list[bytes]:
    pages = []
    for folder in PAGE_SOURCES:
        for path in sorted((corpora / folder).iterdir()):
            data = path.read_bytes()
            pages.append(gzip.decompress(data) if path.suffix == ".gz" else data)
    return pages


def build_archive(pages: list[bytes], size: int, path: Path) -> dict[str, int]:
    """A CC-NEWS-like archive of at least ``size`` bytes; what it holds, by kind of record."""
    from tasks.gather.archive import archive_record

    counts = {"pages": 0, "records": 0}
    response = {"Content-Type": "application/http; msgtype=response"}
    with path.open("wb") as out:
        out.write(archive_record("warcinfo", {}, b"software: bench.warc\r\nformat: WARC File Format 1.1\r\n"))
        n = 0
        while out.tell() < size:
            url = f"https://news{n % 50}.example.com/2024/05/story-{n}.html"
            page = pages[n % len(pages)]
            date = f"2024-05-{1 + n % 28:02d}T{n % 24:02d}:00:00Z"
            http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
                    + str(len(page)).encode() + b"\r\n\r\n" + page)
            records = [("request", {"WARC-Target-URI": url}, b"GET / HTTP/1.1\r\nUser-Agent: bench\r\n\r\n"),
                       ("response", {"WARC-Target-URI": url, "WARC-Date": date, **response}, http),
                       ("metadata", {"WARC-Target-URI": url}, b"fetchTimeMs: 210\r\n")]
            if n % 50 == 49:
                records += [("response", {"WARC-Target-URI": url + "?gone", **response},
                             b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<p>gone</p>"),
                            ("response", {"WARC-Target-URI": url + "?moved", **response},
                             b"HTTP/1.1 301 Moved Permanently\r\nLocation: /\r\n\r\n")]
            for kind, headers, block in records:
                out.write(archive_record(kind, headers, block))
            counts["pages"] += 1
            counts["records"] += len(records)
            n += 1
    return counts


def read_with_library(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    records = 0
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh, auto_decode="all"):
            records += 1
            if (record.record_type == WarcRecordType.response and record.is_http
                    and record.http_headers.status_code == 200
                    and (record.http_content_type or "").lower() == "text/html"):
                record.reader.read()
    return records


def read_with_newslake(path: Path) -> int:
    from tasks.ingest import DEFAULT_MAX_BYTES, records_from_file

    return sum(1 for _ in records_from_file(path, max_bytes=DEFAULT_MAX_BYTES))


def _status_mb(field: str) -> float:
    """This process's resident memory (VmRSS) or its peak (VmHWM, which starts afresh at exec; ru_maxrss keeps the
    peak of the parent's memory the child was forked with), in MB."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith(f"{field}:"))) / 1024


def measure(reader: str, path: Path) -> dict[str, Any]:
    """One reader over one archive in a fresh process: records, seconds and peak memory."""
    command = [sys.executable, "-m", "bench.warc", "--read", reader, str(path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--sizes-mb", default="100,1024", help="archive sizes in MB, comma-separated")
    parser.add_argument("--keep", type=Path, help="build the archives here and keep them")
    parser.add_argument("--read", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.read:  # a child process: one reader, one archive
        reader, path = args.read[0], Path(args.read[1])
        read = read_with_library if reader == "library" else read_with_newslake
        importlib.import_module("fastwarc.warc" if reader == "library" else "tasks.ingest")  # before the clock
        imported = _status_mb("VmRSS")
        started = time.perf_counter()
        records = read(path)
        seconds = time.perf_counter() - started
        print(json.dumps({"records": records, "seconds": seconds, "peak_rss_mb": _status_mb("VmHWM"),
                          "imported_mb": imported}))
        return 0
    sizes = [int(float(s) * MB) for s in args.sizes_mb.split(",")]
    pages = corpus_pages(args.corpora)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for size in sizes:
            path = folder / f"cc-news-like-{size // MB}mb.warc.gz"
            started = time.perf_counter()
            built = build_archive(pages, size, path)
            print(f"built {path.name}: {path.stat().st_size / MB:,.0f} MB, {built['pages']:,} pages, "
                  f"{built['records']:,} records in {time.perf_counter() - started:.0f} s", flush=True)
            runs = {reader: measure(reader, path) for reader in ("library", "newslake")}
            rows.append((path.name, path.stat().st_size / MB, runs))
            if not args.keep:
                path.unlink()
    print(f"\n{len(pages)} corpus pages; archives of one gzip member per record\n")
    print(f"{'archive':<30}{'reader':<10}{'records':>10}{'seconds':>9}{'records/s':>11}{'MB/s':>8}"
          f"{'share of library':>18}{'peak MB':>9}{'after imports':>15}")
    for name, megabytes, runs in rows:
        for reader, run in runs.items():
            share = runs["library"]["seconds"] / run["seconds"]
            print(f"{name:<30}{reader:<10}{run['records']:>10,}{run['seconds']:>9.1f}"
                  f"{run['records'] / run['seconds']:>11,.0f}{megabytes / run['seconds']:>8.1f}"
                  f"{share:>18.2f}{run['peak_rss_mb']:>9.0f}{run['imported_mb']:>15.0f}")
    smallest, largest = rows[0][2]["newslake"]["peak_rss_mb"], rows[-1][2]["newslake"]["peak_rss_mb"]
    growth = largest / smallest - 1
    verdict = "flat" if abs(growth) <= MEMORY_TOLERANCE else "GROWS"
    print(f"\nnewslake's peak memory, largest archive against smallest: {growth:+.1%} ({verdict}; "
          f"tolerance {MEMORY_TOLERANCE:.0%})")
    return 0 if verdict == "flat" else 1


if __name__ == "__main__":
    sys.exit(main())
