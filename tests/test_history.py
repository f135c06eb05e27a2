"""A warehouse built by a history of runs holds what a rebuild of it gives: whatever order and batches the articles
came in, ``--rebuild`` (every derived table recomputed from the detail tables) changes no row. So what a run
carries over or updates for the months it touched is what recomputing everything would give."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from flows.news_pipeline import news_pipeline
from tasks.aggregate import stories
from tasks.warehouse import storage

pytestmark = pytest.mark.usefixtures("prefect_harness")

# Two outlets report one event (a story), one copies another's report (a duplicate), a bare surname and an acronym
# stand for names other articles give in full, and the articles span three months.
ARTICLES = [
    ("one.example", "2024-01-08", "Mayor Lena Okafor of Harbor City said on Monday that the ferry to the northern "
     "islands would sail in May, after the Harbor Ferry Company (HFC) agreed a timetable with the council."),
    ("two.example", "2024-01-09", "Harbor City will get its ferry to the northern islands in May, Mayor Lena Okafor "
     "said on Monday, once the Harbor Ferry Company and the council agreed the timetable."),
    ("three.example", "2024-01-09", "Mayor Lena Okafor of Harbor City said on Monday that the ferry to the northern "
     "islands would sail in May, after the Harbor Ferry Company (HFC) agreed a timetable with the council."),
    ("one.example", "2024-02-14", "Okafor told reporters that the HFC had ordered a second boat. The council of "
     "Harbor City will vote on the new pier in March."),
    ("two.example", "2024-03-02", "The council of Harbor City approved the new pier on Friday. "
     "\"Work starts in April,\" Okafor said."),
    ("three.example", "2024-03-20", "Farmers near Lake Orna said the late frost had damaged the apple blossom. "
     "Jonas Brandt, who grows apples there, said the harvest would be small."),
]
DERIVED = ["articles", "entities", "quotes", "outlets", "stories", "entity_catalog", "entity_aliases", "entity_names",
           "acronym_evidence", "entity_daily", "entity_outlets", "entity_pairs", "places", "place_evidence",
           "place_evidence_totals", "place_country_daily"]


def _rows(out: Path, name: str) -> list[tuple[object, ...]]:
    table: pa.Table = storage.read_table(out, name)
    return sorted(tuple(map(repr, row.values())) for row in table.to_pylist())


def _split(order: list[int], cuts: list[int]) -> list[list[int]]:
    ends = sorted(cuts)
    return [order[a:b] for a, b in zip([0, *ends], [*ends, len(order)], strict=True)]


batches = st.permutations(range(len(ARTICLES))).flatmap(  # the articles in any order, in one to three runs
    lambda order: st.lists(st.integers(1, len(order) - 1), max_size=2, unique=True).map(lambda c: _split(order, c)))


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # a failing history is printed; shrinking one is slow
@given(batches)
@example([[1, 4], [0, 2, 3, 5]])  # a later run brings an earlier article of a month and of a story seen before
def test_a_rebuild_of_any_history_changes_no_derived_row(history: list[list[int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        patch.setattr(stories, "MAX_BLOCK", 2)  # months are clustered one at a time, as in a large warehouse
        out = Path(tmp) / "w"
        for run, numbers in enumerate(history):
            inbox = Path(tmp) / f"run{run}.jsonl"
            inbox.write_text("".join(json.dumps({"id": f"a{n}", "url": f"https://{ARTICLES[n][0]}/a{n}",
                                                 "title": f"Report {n}", "date": ARTICLES[n][1],
                                                 "text": ARTICLES[n][2]}) + "\n" for n in numbers), encoding="utf-8")
            news_pipeline(inputs=[str(inbox)], out=str(out))
        built = {name: _rows(out, name) for name in DERIVED}
        news_pipeline(inputs=[], out=str(out), rebuild=True)
        assert {name: _rows(out, name) for name in DERIVED} == built


SPELLINGS = [  # one harbour master, spelled with a hyphen in January and without it in March; a February report,
    # and its copy, dated earlier, that the second run brings
    ("a", "2024-01-09", "Jean-Luc Moreau, the harbour master of Port Elsin, said on Tuesday that the quay would "
     "reopen in spring. \"We will be ready for the first ferry,\" he said."),
    ("b", "2024-02-14", ARTICLES[5][2]),
    ("c", "2024-03-04", "The quay at Port Elsin reopened on Monday, harbour master Jean Luc Moreau said."),
    ("d", "2024-03-05", "Jean Luc Moreau, who runs the harbour at Port Elsin, said the first ferry would dock on "
     "Friday."),
    ("e", "2023-12-20", ARTICLES[5][2]),
]


def _month_parts(out: Path, name: str) -> dict[str, set[str]]:
    return {month.name: {p.name for p in month.glob("*.parquet")} for month in (out / name).glob("month=*")}


def test_a_run_writes_again_the_untouched_months_whose_rows_it_changes_and_carries_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stories, "MAX_BLOCK", 1)  # months are clustered one at a time, as in a large warehouse
    out = tmp_path / "w"
    for run, rows in enumerate([SPELLINGS[:2], SPELLINGS[2:]]):
        inbox = tmp_path / f"run{run}.jsonl"
        inbox.write_text("".join(json.dumps({"id": i, "url": f"https://{i}.example/{i}", "title": f"Report {i}",
                                             "date": day, "text": text}) + "\n" for i, day, text in rows),
                         encoding="utf-8")
        before = {name: _month_parts(out, name) for name in (
            "articles", "entities", "entity_pairs", "entity_daily", "place_evidence")} if run else {}
        news_pipeline(inputs=[str(inbox)], out=str(out))
    entities = storage.read_table(out, "entities").to_pylist()
    # the March spelling is now the more frequent: January's stored mention takes it, so January is written again
    assert {e["canonical_name"] for e in entities if e["text"] == "Jean-Luc Moreau"} == {"Jean Luc Moreau"}
    quotes = storage.read_table(out, "quotes").to_pylist()
    assert [q["speaker_name"] for q in quotes if "first ferry" in q["text"]] == ["Jean Luc Moreau"]  # named anew
    # February's report is now a copy of the December one: its mentions stay, their daily counts change
    articles = {a["title"]: a for a in storage.read_table(out, "articles").to_pylist()}
    assert articles["Report b"]["duplicate_of"] == articles["Report e"]["article_id"]
    # January's mention keeps its entity: its pairs take the new name as they are, its daily counts stay
    written = {"articles": {"month=2024-02"}, "entities": {"month=2024-01"}, "entity_pairs": {"month=2024-01"},
               "entity_daily": {"month=2024-02"},
               "place_evidence": {"month=2024-02"}}  # January's renamed mention names no place
    for name, months in written.items():
        after = _month_parts(out, name)
        for month in ("month=2024-01", "month=2024-02"):
            assert after[month].isdisjoint(before[name][month]) if month in months else (
                after[month] == before[name][month]), (name, month)
    built = {name: _rows(out, name) for name in DERIVED}
    news_pipeline(inputs=[], out=str(out), rebuild=True)
    assert {name: _rows(out, name) for name in DERIVED} == built


def test_a_run_that_replaces_an_article_counts_its_names_out_of_the_index(tmp_path: Path) -> None:
    out, inbox = tmp_path / "w", tmp_path / "in.jsonl"
    for first in (SPELLINGS[0], SPELLINGS[2]):  # the file changes: its article's earlier rows are replaced
        i, day, text = first
        inbox.write_text(json.dumps({"id": i, "url": f"https://{i}.example/{i}", "title": "Report", "date": day,
                                     "text": text}) + "\n", encoding="utf-8")
        news_pipeline(inputs=[str(inbox)], out=str(out))
    spellings = {row["text"] for row in storage.read_table(out, "entity_names").to_pylist()}
    assert "Jean Luc Moreau" in spellings and "Jean-Luc Moreau" not in spellings
    built = {name: _rows(out, name) for name in DERIVED}
    news_pipeline(inputs=[], out=str(out), rebuild=True)
    assert {name: _rows(out, name) for name in DERIVED} == built


def test_a_replaced_article_takes_its_acronym_evidence_out_of_the_index(tmp_path: Path) -> None:
    out, inbox = tmp_path / "w", tmp_path / "in.jsonl"
    told = "The Northern Ferry Authority agreed a timetable with the council on Monday. {} will run two boats."
    later = ("b", "2024-02-14", "The NFA said on Tuesday that it had ordered a second boat for the island route.")
    for together in (True, False):  # the acronym beside its name, then the article read again without it
        first = ("a", "2024-01-08", told.format("The NFA" if together else "It"))
        inbox.write_text("".join(json.dumps({"id": i, "url": f"https://{i}.example/{i}", "title": f"Report {i}",
                                             "date": day, "text": text}) + "\n" for i, day, text in [first, later]),
                         encoding="utf-8")
        news_pipeline(inputs=[str(inbox)], out=str(out))
        evidence = {(r["acronym_key"], r["name_key"]): r["articles"]
                    for r in storage.read_table(out, "acronym_evidence").to_pylist()}
        ids = {e["text"]: e["entity_id"] for e in storage.read_table(out, "entities").to_pylist()}
        assert evidence.get(("nfa", "northern ferry authority"), 0) == int(together)
        assert (ids["NFA"] == ids["Northern Ferry Authority"]) is together
    built = {name: _rows(out, name) for name in DERIVED}
    news_pipeline(inputs=[], out=str(out), rebuild=True)
    assert {name: _rows(out, name) for name in DERIVED} == built


def test_a_label_vote_that_flips_writes_the_mentions_again_and_carries_what_holds_no_label(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stories, "MAX_BLOCK", 1)
    out = tmp_path / "w"
    january = [("a", "2024-01-09", "Shares in Velmont rose after the vote, Anna Berg of Harlow Capital said. "
                "Analysts expect more gains, and the Phoenix City Council will meet on Friday.")]
    # the model reads Velmont as an organisation here; the council's place is read from its name's words, as a
    # rebuild reads them (one of those words is another city's other name), when January is counted again
    march = [("b", "2024-03-04", "Investors in Velmont expect a dividend. The board meets in Phoenix in June."),
             ("c", "2024-03-05", "Investors in Velmont expect a dividend this year. The board has not said.")]
    for run, rows in enumerate([january, march]):  # ... and as a place twice here: the vote flips
        inbox = tmp_path / f"run{run}.jsonl"
        inbox.write_text("".join(json.dumps({"id": i, "url": f"https://{i}.example/{i}", "title": f"Report {i}",
                                             "date": day, "text": text}) + "\n" for i, day, text in rows),
                         encoding="utf-8")
        before = {name: _month_parts(out, name) for name in ("entities", "entity_pairs", "entity_daily",
                                                              "place_evidence")}
        news_pipeline(inputs=[str(inbox)], out=str(out))
    labels = {(e["text"], e["label"]) for e in storage.read_table(out, "entities").to_pylist()}
    assert ("Velmont", "GPE") in labels and ("Velmont", "ORG") not in labels
    after = {name: _month_parts(out, name) for name in before}
    assert after["entities"]["month=2024-01"].isdisjoint(before["entities"]["month=2024-01"])
    assert after["entity_pairs"]["month=2024-01"] == before["entity_pairs"]["month=2024-01"]  # ids and names only
    assert after["entity_daily"]["month=2024-01"] == before["entity_daily"]["month=2024-01"]
    # a place now by its label: its month's place evidence is counted again
    assert after["place_evidence"].get("month=2024-01") and after["place_evidence"]["month=2024-01"].isdisjoint(
        before["place_evidence"].get("month=2024-01", set()))
    built = {name: _rows(out, name) for name in DERIVED}
    news_pipeline(inputs=[], out=str(out), rebuild=True)
    assert {name: _rows(out, name) for name in DERIVED} == built


def test_an_outlet_whose_articles_now_name_it_otherwise_renames_it_in_every_story(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stories, "MAX_BLOCK", 1)  # January's stories are carried over unless built again
    out = tmp_path / "w"
    runs = [[("a", "2024-01-08", "Harbour Post", ARTICLES[0][2]), ("b", "2024-01-20", "Harbour Post", ARTICLES[5][2])],
            [(i, "2024-03-02", "The Harbour Evening Post", "The museum of Eastfield opened a new wing on Saturday, "
              f"its director Carla Nunes said in report {i}.") for i in "cde"]]
    for run, rows in enumerate(runs):  # one domain, an outlet the registry does not know: named as most articles do
        inbox = tmp_path / f"run{run}.jsonl"
        inbox.write_text("".join(json.dumps({"id": i, "url": f"https://post.example/{i}", "title": f"Report {i}",
                                             "date": day, "source": name, "text": text}) + "\n"
                                 for i, day, name, text in rows), encoding="utf-8")
        news_pipeline(inputs=[str(inbox)], out=str(out))
    assert {s["title"]: s["outlets"] for s in storage.read_table(out, "stories").to_pylist()}["Report a"] == [
        "The Harbour Evening Post"]
    built = {name: _rows(out, name) for name in DERIVED}
    news_pipeline(inputs=[], out=str(out), rebuild=True)
    assert {name: _rows(out, name) for name in DERIVED} == built
