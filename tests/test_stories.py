"""Story clustering: same event across outlets together; time window, one-per-outlet and topic guards; a run
clusters again only the months it touched."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from flows.news_pipeline import news_pipeline
from tasks import ids
from tasks.aggregate import stories
from tasks.aggregate.stories import StoryDoc, cluster_stories
from tasks.warehouse import storage

QUAKE = ("A magnitude 6.1 earthquake struck Napa County in California on Sunday, injuring 120 people and damaging "
         "historic buildings, the US Geological Survey said.")
QUAKE_2 = ("The Napa earthquake of magnitude 6.1 damaged buildings across Napa County on Sunday; officials in "
           "California said 120 people were hurt, according to the Geological Survey.")
OTHER_QUAKE = ("A magnitude 5.4 earthquake shook Peru's Arequipa region on Tuesday, cutting power to villages near "
               "the Colca canyon, Peruvian officials said.")


def _doc(aid: str, text: str, outlet: str, day: int | None = None) -> StoryDoc:
    return StoryDoc(aid, None, text, outlet, datetime(2024, 8, day, tzinfo=UTC) if day else None)


def test_same_event_across_outlets_is_one_story_and_a_similar_event_is_not() -> None:
    docs = [_doc("a", QUAKE, "o1", 24), _doc("b", QUAKE_2, "o2", 25), _doc("c", OTHER_QUAKE, "o3", 25)]
    found = cluster_stories(docs)
    assert found["a"] == found["b"] != found["c"]


def test_time_window_and_one_article_per_outlet() -> None:
    far_apart = cluster_stories([_doc("a", QUAKE, "o1", 1), _doc("b", QUAKE_2, "o2", 20)])
    same_outlet = cluster_stories([_doc("a", QUAKE, "o1", 24), _doc("b", QUAKE_2, "o1", 24)])
    undated = cluster_stories([_doc("a", QUAKE, "o1", 24), _doc("b", QUAKE_2, "o2")])
    assert far_apart["a"] != far_apart["b"] and same_outlet["a"] != same_outlet["b"]
    assert undated["a"] == undated["b"]  # an undated article can join a dated story


def test_story_ids_are_deterministic_and_follow_the_earliest_article() -> None:
    first = cluster_stories([_doc("b", QUAKE_2, "o2", 25), _doc("a", QUAKE, "o1", 24)])
    again = cluster_stories([_doc("a", QUAKE, "o1", 24), _doc("b", QUAKE_2, "o2", 25)])
    alone = cluster_stories([_doc("a", QUAKE, "o1", 24)])
    assert first == again and first["a"] == alone["a"]
    assert cluster_stories([]) == {}


def test_a_published_story_keeps_its_id_when_earlier_coverage_joins_it_or_it_splits() -> None:
    later, earlier = _doc("b", QUAKE_2, "o2", 25), _doc("a", QUAKE, "o1", 24)
    published = cluster_stories([later])["b"]
    joined = cluster_stories([replace(later, story_id=published), earlier])
    assert joined == {"a": published, "b": published}  # the earlier article joins the published story
    assert cluster_stories([later, earlier]) == {"a": ids.story_id("a"), "b": ids.story_id("a")}  # unpublished
    one, two, three = (replace(_doc(i, QUAKE, "o1", 24), story_id="s") for i in "xyz")
    split = stories.published_ids([[one], [two, three]])  # the larger part keeps the id, the other gets its own
    assert split == {"x": ids.story_id("x"), "y": "s", "z": "s"}
    assert stories.published_ids([[two, three], [one]]) == split


def test_openings_naming_different_people_and_places_never_join() -> None:
    napa = ("A strong earthquake struck near Napa in California on Sunday, the Geological Survey said, and "
            "governor Jerry Brown declared an emergency.")
    peru = ("A strong earthquake struck near Arequipa in Peru on Sunday, the Geophysical Institute said, and "
            "president Ollanta Humala declared an emergency.")
    assert len(set(napa.split()) & set(peru.split())) > 12  # much shared wording
    found = cluster_stories([_doc("a", napa, "o1"), _doc("b", peru, "o2")], threshold=0.01)
    assert found["a"] != found["b"]


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_clusters_again_only_the_months_it_touched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stories, "MAX_BLOCK", 2)  # three articles are a warehouse clustered month by month
    clustered: list[set[tuple[int, int]]] = []  # the months each clustering read
    real = stories.cluster_stories

    def spy(docs: list[StoryDoc], *args: Any, **kwargs: Any) -> dict[str, str]:
        clustered.append({stories.month_of(d.published_at) for d in docs})
        return real(docs, *args, **kwargs)

    monkeypatch.setattr(stories, "cluster_stories", spy)

    def inbox(name: str, *rows: tuple[str, str, str]) -> str:
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"id": f"{name}{i}", "url": f"https://{site}/{name}{i}", "text": text,
                                            "title": f"{name} {i}", "date": day}) + "\n"
                                for i, (site, text, day) in enumerate(rows)), encoding="utf-8")
        return str(path)

    out = str(tmp_path / "w")
    news_pipeline(inputs=[inbox("jan", ("one.example", QUAKE, "2024-01-10"), ("two.example", QUAKE_2, "2024-01-10")),
                          inbox("feb", ("three.example", OTHER_QUAKE, "2024-02-05"))], out=out)
    assert clustered == [{(2024, 1), (2024, 2)}]
    stored = set(storage.current(out).tables["stories"])
    news_pipeline(inputs=[inbox("mar", ("one.example", OTHER_QUAKE + " Schools stayed shut.", "2024-03-03"))],
                  out=out)
    assert clustered[1] == {(2024, 3)}  # January and February keep their stories
    parts = set(storage.current(out).tables["stories"])
    assert {p for p in parts if not p.startswith("month=2024-03/")} == stored  # their parts, carried as they are
    marks = storage.read_table(out, "articles").select(["article_id", "story_id"]).sort_by("article_id")
    assert len(set(marks["story_id"].to_pylist())) == 3  # the two January reports are one story
    news_pipeline(inputs=[], out=out, rebuild=True)
    assert clustered[2] == {(2024, 1), (2024, 2), (2024, 3)}
    assert storage.read_table(out, "articles").select(["article_id", "story_id"]).sort_by("article_id") == marks
