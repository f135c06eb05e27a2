"""Huge inputs cost what a batch costs, not what the file costs: files are read as streams, records leave ingest in
bounded chunks, a huge page is cut down (or set aside) before an extractor sees it, and many tiny records make few
task runs. Memory is measured here with tracemalloc against the file's size; time only in bench/large_inputs.py."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.clean import clean_record
from tasks.ingest import records_from_file
from tasks.records import CleanArticle, Quarantined, RawRecord

PARAGRAPH = ("The harbour authority said on Monday that the new ferry line between the two islands would open in "
             "the spring, after a council vote that had been delayed twice by storms. ")


def _write_records(path: Path, count: int, shape: str) -> None:
    """``count`` records of ~1 KB as JSON lines or one array, gzipped when the name ends in .gz."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as fh:  # type: ignore[operator]
        fh.write("[\n" if shape == "array" else "")
        for n in range(1, count + 1):
            record = json.dumps({"id": f"r{n}", "title": f"Ferry {n}", "text": f"{n} " + PARAGRAPH * 5})
            fh.write(record + ("," if shape == "array" and n < count else "") + "\n")
        fh.write("]\n" if shape == "array" else "")


def _peak_while_reading(path: Path) -> tuple[int, int]:
    """(records read, peak traced memory in bytes) while the records of ``path`` go by one at a time."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in records_from_file(path))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("name", "shape"), [("feed.jsonl", "lines"), ("feed.jsonl.gz", "lines"),
                                             ("all.json", "array"), ("all.json.gz", "array")])
def test_a_large_json_file_is_never_in_memory_whole(tmp_path: Path, name: str, shape: str) -> None:
    path = tmp_path / name
    _write_records(path, 16_000, shape)  # ~15 MB of JSON
    size = len(gzip.decompress(path.read_bytes())) if name.endswith(".gz") else path.stat().st_size
    count, peak = _peak_while_reading(path)
    assert count == 16_000
    assert peak < size / 3, f"peak {peak:,} bytes while reading {size:,}"


@pytest.mark.parametrize("shape", ["lines", "array"])
def test_records_leave_ingest_in_bounded_chunks_numbered_as_in_the_file(tmp_path: Path, shape: str) -> None:
    from tasks.ingest import ingest_chunks

    path = tmp_path / ("feed.jsonl.gz" if shape == "lines" else "all.json")
    _write_records(path, 2_000, shape)
    (tmp_path / "one.txt").write_text(PARAGRAPH, encoding="utf-8")
    chunks = list(ingest_chunks([path, tmp_path / "one.txt"], chunk_chars=200_000))
    sizes = [sum(len(r.text or "") for r in c.records) for c in chunks]
    assert len(chunks) >= 8 and max(sizes) < 200_000 + 2_000
    uris = [r.source_uri for c in chunks for r in c.records]
    assert uris == [f"{path}#{n}" for n in range(1, 2_001)] + [str(tmp_path / "one.txt")]
    first = chunks[0].records[0]
    assert first.source_id == "r1" and first.title == "Ferry 1"


def test_numbering_counts_non_blank_lines_and_array_items(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('\n{"text": "one"}\r\n\n  \n{"text": "two"}\r{"text": "three"}\n', "utf-8")
    (tmp_path / "b.json").write_text('[{"text": "one"}, 7, {"text": "three"} ,\n{"text": "four"}]', "utf-8")
    got = {name: [(r.source_uri.rsplit("#", 1)[1], getattr(r, "text", None) or getattr(r, "reason", None))
                  for r in records_from_file(tmp_path / name)] for name in ("a.jsonl", "b.json")}
    assert got["a.jsonl"] == [("1", "one"), ("2", "two"), ("3", "three")]
    assert got["b.json"] == [("1", "one"), ("2", "not_an_object"), ("3", "three"), ("4", "four")]


def test_a_broken_array_item_is_set_aside_and_the_items_around_it_kept(tmp_path: Path) -> None:
    path = tmp_path / "all.json"
    path.write_text('[{"text": "one"}, {"text": two}, {"text": "three"}, {"text": "four",}]', encoding="utf-8")
    items = list(records_from_file(path))
    assert [(i.source_uri.rsplit("/", 1)[1], type(i).__name__) for i in items] == [
        ("all.json#1", "RawRecord"), ("all.json#2", "Quarantined"), ("all.json#3", "RawRecord"),
        ("all.json#4", "Quarantined")]
    cut = tmp_path / "cut.json"
    cut.write_text('[{"text": "one"}, {"text": "tw', encoding="utf-8")
    items = list(records_from_file(cut))
    assert isinstance(items[0], RawRecord) and items[0].text == "one"
    assert isinstance(items[1], Quarantined) and (items[1].source_uri, items[1].reason) == (str(cut), "invalid_json")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from('ab"\\/[]{},:\u2028é \n\t'),
                                                           max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10)


@settings(max_examples=150, deadline=None)
@given(items=st.lists(json_values, max_size=8), piece=st.integers(1, 9), spaced=st.booleans())
def test_array_items_come_out_whole_however_the_text_is_cut(items: list[object], piece: int, spaced: bool) -> None:
    from tasks.ingest import decode, jsonstream

    text = json.dumps(items, indent=1 if spaced else None, ensure_ascii=False)
    got = list(jsonstream.json_records(decode.read_pieces(text, piece), lambda: iter([text]), lambda _: None))
    assert got == list(enumerate(items, start=1))


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(st.dictionaries(st.text(max_size=4), json_values, max_size=3), min_size=2, max_size=6),
       piece=st.integers(1, 9))
def test_json_lines_come_out_whole_however_the_text_is_cut(lines: list[object], piece: int) -> None:
    from tasks.ingest import decode, jsonstream

    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    got = list(jsonstream.json_records(decode.read_pieces(text, piece), lambda: iter([text]), lambda _: None))
    assert got == list(enumerate(lines, start=1))


def test_a_record_over_the_cap_is_set_aside_without_being_kept(tmp_path: Path) -> None:
    from tasks.ingest import decode, jsonstream

    huge = json.dumps({"text": "word " * 400})
    for name, text in (("a.jsonl", f'{{"text": "one"}}\n{huge}\n{{"text": "three"}}\n'),
                       ("b.json", f'[{{"text": "one"}}, {huge}, {{"text": "three"}}]')):
        chunks = decode.read_pieces(text, 64)
        got = [(n, getattr(v, "reason", None) or v["text"]) for n, v in
               jsonstream.json_records(chunks, lambda t=text: iter([t]), lambda _: None, max_record=1000)]
        assert got == [(1, "one"), (2, "too_large"), (3, "three")], name


def test_a_file_that_is_one_value_over_the_cap_is_set_aside_whole() -> None:
    from tasks.ingest import decode, jsonstream

    wrapper = json.dumps({"articles": [{"text": f"Article {n}. {PARAGRAPH}"} for n in range(40)]}, indent=2)
    lines = json.dumps({"text": "word " * 400}) + "\n" + json.dumps({"text": "two"}) + "\n"
    for text, expected in ((wrapper, "too_large"), (lines, [(1, "too_large"), (2, "two")])):
        records = jsonstream.json_records(decode.read_pieces(text, 64), lambda t=text: decode.read_pieces(t, 64),
                                       lambda _: None, max_record=1000)
        try:
            got: object = [(n, getattr(v, "reason", None) or v["text"]) for n, v in records]
        except decode.BadInput as exc:
            got = exc.reason
        assert got == expected


def _page(head: str, body: str) -> str:
    return (f"<html><head><title>Ferry line opens | Island Times</title>{head}</head><body><nav>Home</nav>"
            f"<article><h1>Ferry line opens</h1>{body}</article></body></html>")


def test_a_huge_page_reaches_the_extractor_without_its_scripts_styles_and_images(tmp_path: Path) -> None:
    script = "<script>var state = " + json.dumps({"blob": "x" * 6_000_000}) + ";</script>"
    style = "<style>" + ".a{color:red}" * 100_000 + "</style><!-- " + "comment " * 100_000 + "-->"
    image = '<img src="data:image/png;base64,' + "QUJD" * 500_000 + '">'
    ld = '<script type="application/ld+json">{"datePublished": "2021-03-04", "author": {"name": "Ann Lee"}}</script>'
    path = tmp_path / "page.html"
    paragraphs = "".join(f"<p>Update {n}: {PARAGRAPH}</p>" for n in range(20))
    path.write_text(_page(ld + script + style, image + paragraphs), encoding="utf-8")
    tracemalloc.start()
    try:
        [record] = list(records_from_file(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(record, RawRecord) and record.html is not None
    assert len(record.html) < 20_000 and "datePublished" in record.html and "QUJD" not in record.html
    assert peak < path.stat().st_size / 2, f"peak {peak:,} bytes for a page of {path.stat().st_size:,}"
    article = clean_record(record)
    assert isinstance(article, CleanArticle) and article.text.count("ferry line") == 20, article.text
    assert article.published_at is not None and article.published_at.day == 4


@pytest.mark.parametrize(("name", "text"), [
    ("page.html", _page("", f"<p>{PARAGRAPH}</p>\n" * 30_000)),
    ("dump.txt", (PARAGRAPH + "\n") * 30_000),
])
def test_a_page_too_long_for_an_article_is_set_aside_at_a_bounded_cost(tmp_path: Path, name: str, text: str) -> None:
    from tasks.ingest import markup

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")  # ~5.6 MB
    tracemalloc.start()
    try:
        [item] = list(records_from_file(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(item, Quarantined) and item.reason == "too_long", item
    assert peak < 2.5 * markup.MAX_PAGE_CHARS


def test_a_huge_html_field_of_a_json_record_is_cut_down_too(tmp_path: Path) -> None:
    page = _page("<style>" + "p{margin:0}" * 300_000 + "</style>", f"<p>{PARAGRAPH}</p>" * 5)
    path = tmp_path / "pages.jsonl"
    path.write_text(json.dumps({"url": "https://news.example/ferry", "html": page}) + "\n", encoding="utf-8")
    [record] = list(records_from_file(path))
    assert isinstance(record, RawRecord) and record.html is not None and len(record.html) < 5_000


@pytest.mark.usefixtures("prefect_harness")
def test_many_tiny_records_make_few_task_runs(tmp_path: Path) -> None:
    """3,000 one-word records: all become articles, in a handful of clean and NLP task runs (one per 64 records
    before: 47 of each)."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.news_pipeline import news_pipeline
    from tasks.warehouse import storage

    words = ["harbour", "ferry", "island", "council", "storm", "spring", "vote", "line", "port", "tide"]
    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(json.dumps({"id": n, "text": f"{words[n % 10]}{n}"}) + "\n" for n in range(3_000)),
                    encoding="utf-8")
    state = news_pipeline(inputs=[str(path)], out=str(tmp_path / "w"), return_state=True)
    assert state.is_completed()
    assert storage.read_table(str(tmp_path / "w"), "articles").num_rows == 3_000
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(
            any_=[state.state_details.flow_run_id])))
    names = [run.name.rsplit("-", 1)[0] for run in runs]
    assert 1 <= names.count("clean") <= 3 and 1 <= names.count("nlp") <= 2, sorted(names)


def test_markup_is_reduced_the_same_however_the_page_is_cut() -> None:
    from tasks.ingest import decode, markup

    page = _page('<script type="application/ld+json">{"author": "Ann Lee"}</script><SCRIPT src=a.js></SCRIPT >'
                 "<style>p{}</style><!-- a -- comment --><svg><path d='M0'/></svg>",
                 '<p>One</p><img src="data:image/png;base64,QUJDRA=="><noscript><img src=x></noscript><p>Two</p>'
                 "<template><p>hidden</p></template><p>Three</p>")
    whole = markup.reduced_markup(iter([page]))
    assert "Ann Lee" in whole and "<p>One</p>" in whole and "<p>Three</p>" in whole and 'src="data:,"' in whole
    assert not any(gone in whole for gone in ("a.js", "p{}", "comment", "M0", "QUJD", "src=x", "hidden"))
    for size in range(1, 40):
        assert markup.reduced_markup(decode.read_pieces(page, size)) == whole, size
