"""Exact and near-duplicate (syndicated) copies point at the earliest original."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.news_pipeline import news_pipeline
from tasks.aggregate import duplicates
from tasks.aggregate.duplicates import Doc, find_copies, fingerprint, shingle_hashes, signature_bytes
from tasks.warehouse import storage

STORY = (" ".join(f"Sentence {i} of the wire story says the council met on Tuesday to debate the harbour budget."
                  for i in range(30)))


def test_exact_and_syndicated_copies_point_at_the_earliest_original() -> None:
    syndicated = "HARBOR CITY (Wire) - " + STORY.replace("Tuesday", "Tuesday night", 1) + " Editing by Jane Roe."
    docs = [
        Doc("copy", STORY, "h1", datetime(2025, 7, 2, tzinfo=UTC)),
        Doc("orig", STORY, "h1", datetime(2025, 7, 1, tzinfo=UTC)),
        Doc("synd", syndicated, "h2", datetime(2025, 7, 3, tzinfo=UTC)),
        Doc("undated", syndicated, "h2", None),
        Doc("other", "A different story about a ferry strike that ended after a pay deal was agreed.", "h3", None),
    ]
    assert find_copies(docs) == {"copy": ("orig", "exact"), "synd": ("orig", "near"), "undated": ("orig", "near")}


def test_articles_sharing_a_topic_are_not_duplicates() -> None:
    a = " ".join(f"The mayor said on day {i} that the tram line would open in 2030." for i in range(20))
    b = " ".join(f"Critics said on day {i} that the tram budget relied on optimistic ridership." for i in range(20))
    assert find_copies([Doc("a", a, "ha", None), Doc("b", b, "hb", None)]) == {}


def test_shingle_hashes_are_per_word_5_shingle_and_order_sensitive() -> None:
    one = shingle_hashes("The cat sat on the mat today")
    assert one.dtype == np.uint32 and len(one) == 3  # 7 words: 3 shingles of 5
    assert list(shingle_hashes("THE CAT, sat on the... mat")) == list(shingle_hashes("the cat sat on the mat")[:2])
    assert shingle_hashes("cat the sat on the mat")[0] != one[0]  # same words, another order
    assert len(shingle_hashes("three short words")) == 1 and len(shingle_hashes("  ")) == 0
    assert len(set(shingle_hashes(" ".join(f"w{i}" for i in range(5000))))) == 4996  # no collisions


def test_very_short_texts_are_copies_only_when_their_words_match() -> None:
    """Texts of one shingle are compared by that shingle's hash, not a MinHash: the same outcome for far less."""
    docs = [Doc("first", "Storm warning!", "h1", datetime(2025, 7, 1, tzinfo=UTC)),
            Doc("shout", "STORM WARNING", "h2", datetime(2025, 7, 2, tzinfo=UTC)),
            Doc("other", "Storm over", "h3", datetime(2025, 7, 1, tzinfo=UTC)),
            Doc("again", "Storm warning!", "h1", None)]
    assert find_copies(docs) == {"shout": ("first", "near"), "again": ("first", "exact")}


def test_a_stored_signature_is_the_fingerprint_it_was_made_from() -> None:
    for text in (STORY, "Storm warning!", "..."):
        made = fingerprint(Doc("a", text, "h", None))
        assert fingerprint(Doc("a", "", "h", None), signature_bytes(made.signature)) == made


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_fingerprints_only_the_articles_it_adds_and_finds_their_copies_among_the_stored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shingled: list[str] = []
    real = duplicates.shingle_hashes
    monkeypatch.setattr(duplicates, "shingle_hashes", lambda text: shingled.append(text) or real(text))

    def run(name: str, *texts: str, day: int = 1, rebuild: bool = False) -> None:
        inbox = tmp_path / f"{name}.jsonl"
        inbox.write_text("".join(json.dumps({"id": f"{name}{i}", "url": f"https://site{i}.example/{name}",
                                             "title": f"{name} {i}", "date": f"2025-07-{day + i:02d}", "text": text})
                                 + "\n" for i, text in enumerate(texts)), encoding="utf-8")
        news_pipeline(inputs=[] if rebuild else [str(inbox)], out=str(tmp_path / "w"), rebuild=rebuild)

    run("first", STORY, "Farmers in the valley said the late frost had damaged the early apple blossom.",
        "Polls close at eight.")
    assert len(shingled) == 3
    run("later", "HARBOR CITY (Wire) - " + STORY.replace("Tuesday", "Tuesday night", 1), "POLLS CLOSE AT EIGHT!",
        day=5)
    assert len(shingled) == 5  # the new articles only: the others' signatures are read back
    articles = storage.read_table(tmp_path / "w", "articles").to_pylist()
    marks = {r["title"]: (r["duplicate_of"], r["minhash"]) for r in articles}
    original = {r["title"]: r["article_id"] for r in articles}
    assert marks["later 0"][0] == original["first 0"]  # a copy found against a stored signature
    assert marks["later 1"][0] == original["first 2"]  # and against a one-shingle text's, stored whole
    run("again", rebuild=True)
    assert len(shingled) == 10  # a rebuild makes every signature again, and the same ones
    assert {r["title"]: (r["duplicate_of"], r["minhash"])
            for r in storage.read_table(tmp_path / "w", "articles").to_pylist()} == marks


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("stored", ["nulls", "no column"])
def test_articles_stored_without_a_signature_are_signed_by_the_next_run(tmp_path: Path, stored: str) -> None:
    def run(name: str, *rows: tuple[str, str]) -> None:
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps({
            "id": i, "url": f"https://{i}.example/{i}", "title": i, "date": f"2025-07-0{n + 1}", "text": text})
            + "\n" for n, (i, text) in enumerate(rows)), encoding="utf-8")
        news_pipeline(inputs=[str(tmp_path / f"{name}.jsonl")], out=str(tmp_path / "w"))

    run("a", ("orig", STORY), ("ferry", "A ferry strike ended after a pay deal was agreed on the island."))
    for part in (tmp_path / "w" / "articles").rglob("*.parquet"):  # as a version before signatures wrote them
        table = pq.read_table(part)
        table = table.drop_columns(["minhash"]) if stored == "no column" else table.set_column(
            table.schema.get_field_index("minhash"), "minhash", pa.nulls(table.num_rows, pa.binary()))
        pq.write_table(table, part)
    run("b", ("early", "An unrelated report on the harbour's new lighthouse keeper and her first winter there."),
        ("synd", "HARBOR CITY (Wire) - " + STORY.replace("Tuesday", "Tuesday night", 1)))
    articles = {r["title"]: r for r in storage.read_table(tmp_path / "w", "articles").to_pylist()}
    assert all(r["minhash"] for r in articles.values())
    assert articles["synd"]["duplicate_of"] == articles["orig"]["article_id"]


@pytest.mark.usefixtures("prefect_harness")
def test_a_replaced_original_leaves_its_group_and_an_earlier_copy_takes_the_group_over(tmp_path: Path) -> None:
    synd = "HARBOR CITY (Wire) - " + STORY.replace("Tuesday", "Tuesday night", 1)
    ferry = "A different story about a ferry strike that ended after a pay deal was agreed on the island."

    def write(name: str, *rows: tuple[str, str, str]) -> None:
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps({
            "id": i, "url": f"https://{i}.example/{i}", "title": i, "date": day, "text": text}) + "\n"
            for i, day, text in rows), encoding="utf-8")

    def marks() -> dict[str, tuple[str | None, str | None]]:
        return {r["title"]: (r["duplicate_of"], r["duplicate_kind"])
                for r in storage.read_table(tmp_path / "w", "articles").to_pylist()}

    write("a", ("orig", "2025-07-01", STORY))
    write("b", ("synd", "2025-07-03", synd), ("copy", "2025-08-04", STORY))
    news_pipeline(inputs=[str(tmp_path / n) for n in ("a.jsonl", "b.jsonl")], out=str(tmp_path / "w"))
    ids = {r["title"]: r["article_id"] for r in storage.read_table(tmp_path / "w", "articles").to_pylist()}
    assert marks() == {"orig": (None, None), "synd": (ids["orig"], "near"), "copy": (ids["orig"], "exact")}
    write("a", ("orig", "2025-07-01", ferry))  # the original's text changes: it leaves the group
    news_pipeline(inputs=[str(tmp_path / "a.jsonl")], out=str(tmp_path / "w"))
    assert marks() == {"orig": (None, None), "synd": (None, None), "copy": (ids["synd"], "near")}
    write("c", ("early", "2025-06-30", synd))  # an exact copy of a stored article, published before the group
    news_pipeline(inputs=[str(tmp_path / "c.jsonl")], out=str(tmp_path / "w"))
    ids = {r["title"]: r["article_id"] for r in storage.read_table(tmp_path / "w", "articles").to_pylist()}
    found = marks()
    assert found == {"orig": (None, None), "early": (None, None), "synd": (ids["early"], "exact"),
                     "copy": (ids["early"], "near")}
    news_pipeline(inputs=[], out=str(tmp_path / "w"), rebuild=True)
    assert marks() == found
