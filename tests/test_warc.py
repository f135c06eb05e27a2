"""Web archives: CC-NEWS-style WARC files (one gzip member per record) read as a stream, every record that is no
article counted by reason, a corrupt record quarantined with its offset and the rest of the archive read."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from flows.news_pipeline import news_pipeline
from tasks.gather.archive import RESPONSE, archive_record, write_archive
from tasks.ingest import ingest_files, records_from_file
from tasks.records import Quarantined, RawRecord, Skipped
from tasks.warehouse import storage

STORY = ("<html><head><title>Harbor cranes arrive</title></head><body><article><h1>Harbor cranes arrive</h1>"
         + "".join(f"<p>The new cranes reached the harbor of Bergen on the {n}th ship of the season, and the dock "
                   f"workers began to assemble them before the winter storms.</p>" for n in range(4, 9))
         + "</article></body></html>")


def _page(url: str, html: str, fetched: str = "2024-05-02T08:30:00Z", status: str = "200 OK",
          content_type: str = "text/html; charset=utf-8", encoding: str = "utf-8",
          extra: dict[str, str] | None = None) -> tuple[str, dict[str, str], bytes]:
    http = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n\r\n".encode() + html.encode(encoding)
    return "response", {"WARC-Target-URI": url, "WARC-Date": fetched, **RESPONSE, **(extra or {})}, http


def _crawl(path: Path, gzipped: bool = True) -> Path:
    write_archive(path, [
        ("warcinfo", {}, b"software: a test crawler\r\n"),
        ("request", {"WARC-Target-URI": "https://bergen.example/cranes"}, b"GET /cranes HTTP/1.1\r\n\r\n"),
        _page("https://bergen.example/cranes", STORY),
        ("metadata", {"WARC-Target-URI": "https://bergen.example/cranes"}, b"fetchTimeMs: 120\r\n"),
        _page("https://bergen.example/gone", "<html>gone</html>", status="404 Not Found"),
        _page("https://bergen.example/moved", "", status="301 Moved Permanently"),
        _page("https://bergen.example/report.pdf", "%PDF-1.4", content_type="application/pdf"),
        ("revisit", {"WARC-Target-URI": "https://bergen.example/cranes", **RESPONSE}, b"HTTP/1.1 200 OK\r\n\r\n"),
        _page("https://bergen.example/cut", STORY, extra={"WARC-Truncated": "length"}),
        _page("https://bergen.example/ferry", STORY.replace("cranes", "ferries").replace("Bergen", "Stavanger")),
    ], gzipped=gzipped)
    return path


def _read(path: Path, max_bytes: int = 1 << 20) -> tuple[list[RawRecord], list[Quarantined], Counter[str]]:
    items = list(records_from_file(path, max_bytes=max_bytes))
    return ([i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, Quarantined)],
            Counter(i.reason for i in items if isinstance(i, Skipped)))


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_html_responses_become_pages_and_every_other_record_is_counted(tmp_path: Path, name: str) -> None:
    pages, quarantined, skipped = _read(_crawl(tmp_path / name, gzipped=name.endswith(".gz")))
    assert [p.url for p in pages] == ["https://bergen.example/cranes", "https://bergen.example/ferry"]
    assert {p.source_format for p in pages} == {"warc"} and not quarantined
    assert all(p.fetched_at == "2024-05-02T08:30:00Z" and "Harbor" in (p.html or "") for p in pages)
    assert skipped == {"not_response": 3, "http_status": 2, "not_html": 1, "revisit": 1, "truncated": 1}
    offsets = [int(p.source_uri.rsplit("#", 1)[1]) for p in pages]
    with (tmp_path / name).open("rb") as fh:  # a page's source_uri gives the offset its record starts at
        for offset in offsets:
            fh.seek(offset)
            record = gzip.GzipFile(fileobj=fh) if name.endswith(".gz") else fh
            assert record.read(7) == b"WARC/1."


@pytest.mark.parametrize("where", [slice(40, 80), slice(-8, -4)])  # its compressed header, or its checksum
def test_a_corrupt_record_is_quarantined_with_its_offset_and_the_rest_is_read(tmp_path: Path, where: slice) -> None:
    good = archive_record(*_page("https://bergen.example/cranes", STORY))
    bad = bytearray(archive_record(*_page("https://bergen.example/broken", STORY)))
    bad[where] = b"\x00" * (where.stop - where.start)
    last = archive_record(*_page("https://bergen.example/ferry", STORY.replace("cranes", "ferries")))
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(good + bytes(bad) + last)
    pages, quarantined, _ = _read(path)
    assert [p.url for p in pages] == ["https://bergen.example/cranes", "https://bergen.example/ferry"]
    assert [(q.reason, q.source_uri) for q in quarantined] == [("corrupt_record", f"{path}#{len(good)}")]
    assert str(len(good) + len(bad)) in quarantined[0].detail  # where reading went on


@pytest.mark.parametrize(("broken", "fixed"), [(b"WARC-Type: response", b"WARC-Type response"),
                                              (b"Content-Length: ", b"Content-Length: x"), (b"WARC/1.1", b"WARC/9.9")])
def test_a_broken_header_in_a_plain_archive_costs_that_record_only(tmp_path: Path, broken: bytes,
                                                                   fixed: bytes) -> None:
    first = archive_record(*_page("https://bergen.example/cranes", STORY), gzipped=False)
    damaged = archive_record(*_page("https://bergen.example/broken", STORY), gzipped=False).replace(broken, fixed, 1)
    last = archive_record(*_page("https://bergen.example/ferry", STORY), gzipped=False)
    path = tmp_path / "damaged.warc"
    path.write_bytes(first + damaged + last)
    pages, _, _ = _read(path)
    assert [p.url for p in pages] == ["https://bergen.example/cranes", "https://bergen.example/ferry"]


def test_the_size_limit_holds_per_page_not_per_archive(tmp_path: Path) -> None:
    huge = "<html><body>" + "<p>" + "word " * 60_000 + "</p></body></html>"
    path = tmp_path / "crawl.warc.gz"
    write_archive(path, [_page("https://bergen.example/cranes", STORY), _page("https://bergen.example/huge", huge),
                         _page("https://bergen.example/ferry", STORY)])
    pages, quarantined, _ = _read(path, max_bytes=100_000)
    assert path.stat().st_size < 100_000 < sum(len(STORY) for _ in range(2)) + len(huge)  # archive under, pages over
    assert [p.url for p in pages] == ["https://bergen.example/cranes", "https://bergen.example/ferry"]
    assert [q.reason for q in quarantined] == ["too_large"]


def test_pages_are_decoded_by_what_they_are_before_what_the_server_declares(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    write_archive(path, [
        _page("https://a.example/1", "<p>Café at the harbor</p>", content_type="text/html; charset=iso-8859-1"),
        _page("https://a.example/2", "<p>Café at the harbor</p>", content_type="text/html; charset=iso-8859-1",
              encoding="latin-1"),
        _page("https://a.example/3", "<p>Кафе в порту</p>", content_type="text/html; charset=windows-1251",
              encoding="cp1251"),
    ])
    pages, _, _ = _read(path)
    assert [p.html for p in pages] == ["<p>Café at the harbor</p>", "<p>Café at the harbor</p>", "<p>Кафе в порту</p>"]


def test_ingest_counts_what_it_skips(tmp_path: Path) -> None:
    result = ingest_files([_crawl(tmp_path / "crawl.warc.gz")])
    assert len(result.records) == 2 and sum(result.skipped.values()) == 8


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_over_an_archive(tmp_path: Path) -> None:
    crawl = _crawl(tmp_path / "crawl.warc.gz")
    summary = news_pipeline(inputs=[str(crawl)], out=str(tmp_path / "w"))
    assert summary.skipped == {"not_response": 3, "http_status": 2, "not_html": 1, "revisit": 1, "truncated": 1}
    con = storage.open_duckdb(tmp_path / "w")
    rows = con.sql("select url, source_format, published_from, strftime(published_at, '%Y-%m-%d %H:%M') "
                   "from articles order by url").fetchall()
    # the pages state no date: the fetch time stands in, marked as such
    assert rows == [("https://bergen.example/cranes", "warc", "fetched", "2024-05-02 08:30"),
                    ("https://bergen.example/ferry", "warc", "fetched", "2024-05-02 08:30")]
