"""The stored evidence of places: a month's evidence as rows, summed back over months, is the evidence of all their
articles pooled, a registry that moves an outlet to another country is noticed, a run resolves again only the
places its months name, and a place's new country moves its counts in the months the run does not write."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from flows.news_pipeline import news_pipeline
from tasks.aggregate import outlets, place_counts, place_evidence, place_tables
from tasks.aggregate.place_tables import month_evidence, placed_months
from tasks.aggregate.places import Evidence, pool
from tasks.schemas import TABLES
from tasks.warehouse import storage
from tasks.warehouse.commit import Commit
from tasks.warehouse.snapshot import Snapshot
from tests.test_places import _gaz

# (article, start, text, label, entity): two articles in January, one in February
MENTIONS = {
    "2024-01": [("a1", 0, "Springfield", "GPE", "spr"), ("a1", 13, "Illinois", "GPE", "il"),
                ("a2", 0, "Paris", "GPE", "par"), ("a2", 7, "Texas", "GPE", "tx"), ("a2", 20, "Dallas", "ORG", "dal")],
    "2024-02": [("a3", 0, "Paris", "GPE", "par"), ("a3", 7, "France", "GPE", "fr"),
                ("a3", 30, "Springfield", "GPE", "spr"), ("a3", 50, "Nowhereville", "GPE", "nowhere")],
}
COUNTRIES = {"a1": "US", "a2": "US", "a3": None}


def _mentions(rows: list[tuple[str, int, str, str, str]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([
        {"article_id": a, "char_start": start, "char_end": start + len(text), "text": text, "label": label,
         "model_label": label, "entity_id": entity_id, "canonical_name": text}
        for a, start, text, label, entity_id in rows])


def test_the_months_evidence_summed_back_is_the_evidence_of_all_their_articles(tmp_path: Path) -> None:
    gaz = _gaz()
    by_month = {month: month_evidence([_mentions(rows)], COUNTRIES, gaz) for month, rows in MENTIONS.items()}
    commit = Commit(storage.current(tmp_path / "w"))
    with commit.writer("place_evidence") as out:
        for month, found in by_month.items():
            out.write(place_evidence.table(found, month))
    assert set(commit.parts_by_month("place_evidence")) == {"2024-01", "2024-02"}  # one folder per month

    summed = place_evidence.summed(commit)
    whole = month_evidence([_mentions([m for rows in MENTIONS.values() for m in rows])], COUNTRIES, gaz)
    assert summed == whole
    assert summed["spr"] == pool([by_month["2024-01"]["spr"], by_month["2024-02"]["spr"]])
    assert summed["spr"].articles == 2 and summed["spr"].regions[("US", "IL")] == 1  # Illinois: in a1 only
    assert summed["spr"].qualifiers == {("US", "IL"): 1}  # "Springfield, Illinois" in a1
    assert summed["par"].qualifiers == {("US", "TX"): 1, ("FR", None): 1}  # "Paris, Texas"; "Paris, France": no region
    assert summed["spr"].outlet_countries == {"US": 1}  # a3's outlet has no country
    assert summed["nowhere"].names == {"Nowhereville": 1}  # a place the gazetteer lacks keeps its evidence
    # a town's name the model calls an organisation: its evidence kept apart, and none given to the others
    assert (summed["dal"].articles, summed["dal"].doubted, summed["dal"].doubted_names) == (0, 1, {"Dallas": 1})
    assert summed["dal"].doubted_regions[("US", "TX")] == 1 and summed["tx"].regions == {("FR", "11"): 1}


def _outlets(country: str | None, *more: tuple[str, str]) -> pa.Table:
    rows = [("o1", country), ("o2", "FR"), *more]
    return pa.Table.from_pylist([{"outlet_id": o, "country": c, "in_registry": True, "article_count": 1,
                                  "wire_credit_share": 0.0} for o, c in rows], schema=TABLES["outlets"])


def test_an_outlet_moved_to_another_country_or_renamed_is_noticed(tmp_path: Path) -> None:
    def moved(base: Snapshot, now: pa.Table, column: str = "country") -> frozenset[str] | None:
        return outlets.changed_outlets(base, now, "name", "country")[column]

    out = tmp_path / "w"
    assert moved(storage.current(out), _outlets("US")) == frozenset()  # nothing stored yet
    commit = Commit(storage.current(out))
    commit.write("outlets", _outlets(None))
    base = commit.publish()
    assert moved(base, _outlets(None)) == frozenset()
    assert moved(base, _outlets("US")) == {"o1"}  # learnt its country: its articles' evidence
    assert moved(base, _outlets(None, ("o3", "DE"))) == frozenset()  # its articles are new ones
    renamed = _outlets(None).set_column(1, "name", pa.array(["Harbour Gazette", None]))
    assert moved(base, renamed, "name") == {"o1"} and moved(base, renamed) == frozenset()


def test_a_month_is_counted_again_only_where_a_changed_mention_reads_another_place() -> None:
    changed = {  # (stored label, new label, model label, text, whether its entity or canonical name changed)
        "2024-01": {("GPE", "NORP", "GPE", "Israel", False)},  # a label vote between two labels read alike
        "2024-02": {("ORG", "GPE", "ORG", "Velmont", False)},  # a place now by its label
        "2024-03": {("PERSON", "PERSON", "PERSON", "Okafor", True)},  # a surname joining a full name
        "2024-04": {("GPE", "GPE", "GPE", "Israel", True)},  # a place under another entity
    }
    assert placed_months(changed) == {"2024-02", "2024-04"}


def _add(tmp_path: Path, out: Path, run: int, rows: list[tuple[str, str, str]]) -> None:
    """A run of the real flow adding articles (id, date, text)."""
    inbox = tmp_path / f"run{run}.jsonl"
    inbox.write_text("".join(json.dumps({"id": i, "url": f"https://{i}.example/{i}", "title": f"Report {i}",
                                         "date": day, "text": text}) + "\n" for i, day, text in rows), encoding="utf-8")
    news_pipeline(inputs=[str(inbox)], out=str(out))


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_resolves_again_only_the_places_its_months_name_and_a_rebuild_gives_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, resolved = tmp_path / "w", []
    whole = place_tables.resolve_places

    def recorded(pooled: Mapping[str, Evidence], *args: Any) -> pa.Table:
        resolved.append(set(pooled))
        return whole(pooled, *args)

    monkeypatch.setattr(place_tables, "resolve_places", recorded)
    runs = [[("a", "2024-01-09", "The mayor of Springfield, Illinois, opened a bridge over the river on Monday."),
             ("b", "2024-02-12", "Flights from Toronto to Vancouver were cancelled after a storm on Friday.")],
            [("c", "2024-03-04", "Toronto opened a new library, the city council said on Tuesday.")]]
    for run, rows in enumerate(runs):
        _add(tmp_path, out, run, rows)
    names = dict(zip(*storage.read_table(out, "places").select(["entity_id", "name"]).to_pydict().values(),
                     strict=True))
    assert {"Springfield", "Toronto"} <= set(names.values())
    again = {names[e] for e in resolved[-1] if e in names}
    assert "Toronto" in again and "Springfield" not in again  # March names Toronto only: Springfield's row carried
    # evidence counted under other rules (a warehouse of an earlier version) is counted again, every month of it
    totals = TABLES["place_evidence_totals"]
    monkeypatch.setitem(TABLES, "place_evidence_totals", totals.with_metadata({"place_evidence_rules": "next"}))
    _add(tmp_path, out, 2, [("d", "2024-04-02", "Toronto hosted a film festival on Thursday.")])
    assert "Springfield" in {names.get(e) for e in resolved[-1]}
    _add(tmp_path, out, 3, [("e", "2024-05-06", "Toronto bought new buses, the council said.")])
    assert "Springfield" not in {names.get(e) for e in resolved[-1]}  # now counted under these rules
    built = storage.read_table(out, "places").to_pylist()
    news_pipeline(inputs=[], out=str(out), rebuild=True)
    assert storage.read_table(out, "places").to_pylist() == built


def _daily(out: Path) -> list[tuple[Any, ...]]:
    rows = storage.read_table(out, "place_country_daily").to_pylist()
    return sorted((r["day"], r["country_code"], r["outlet_id"], r["mentions"], r["articles"]) for r in rows)


@pytest.mark.usefixtures("prefect_harness")
def test_a_place_that_changes_country_moves_its_counts_in_months_the_run_does_not_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, counted = tmp_path / "w", []
    monkeypatch.setattr(place_counts, "MENTION_BYTES_PER_QUERY", 1)  # the runs count a month per query
    whole = place_counts._country_rows

    def recorded(commit: Commit, detail: Any, chunk: list[str | None], countries: list[str], kept: list[str],
                 cells: Any) -> Any:
        counted.append((tuple(chunk), tuple(countries)))
        return whole(commit, detail, chunk, countries, kept, cells)

    monkeypatch.setattr(place_counts, "_country_rows", recorded)
    runs = [[("a", "2024-01-09", "Paris was quiet on Monday, and Tokyo was busy with visitors all day."),
             ("z", "2024-01-20", "Boston opened a new tram line on Saturday, and its mayor rode it first.")],
            [("b", "2024-03-04", "Residents of Paris, Texas, opened a bridge; Paris, Texas, holds a fair in May. "
                                 "Osaka holds one in June.")]]
    for run, rows in enumerate(runs):
        _add(tmp_path, out, run, rows)
        if run == 0:
            first, counted = {country for day, country, *_ in _daily(out)}, []
            # the next run takes the kept totals, less the months it writes: it sums no month's evidence again
            monkeypatch.setattr(place_evidence, "summed", lambda *_: pytest.fail("every month's evidence summed"))
    january = {(day.day, country) for day, country, *_ in _daily(out) if day.month == 1}
    # January's Paris now in Texas; Tokyo's kept, and so is the American row of a day not naming Paris
    assert (first, january) == ({"FR", "JP", "US"}, {(9, "US"), (9, "JP"), (20, "US")})
    # January counts again Paris's countries only: Osaka, new in March, is in Japan but not in January
    assert [countries for chunk, countries in counted if chunk == ("2024-01",)] == [("FR", "US")]
    kept = _daily(out)
    monkeypatch.undo()  # the rebuild, every month in one query
    news_pipeline(inputs=[], out=str(out), rebuild=True)
    assert _daily(out) == kept
