"""Story clustering: same event across outlets together; time window, one-per-outlet and topic guards."""

from __future__ import annotations

from datetime import UTC, datetime

from tasks.aggregate.stories import StoryDoc, cluster_stories

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
    stories = cluster_stories(docs)
    assert stories["a"] == stories["b"] != stories["c"]


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


def test_openings_naming_different_people_and_places_never_join() -> None:
    napa = ("A strong earthquake struck near Napa in California on Sunday, the Geological Survey said, and "
            "governor Jerry Brown declared an emergency.")
    peru = ("A strong earthquake struck near Arequipa in Peru on Sunday, the Geophysical Institute said, and "
            "president Ollanta Humala declared an emergency.")
    assert len(set(napa.split()) & set(peru.split())) > 12  # much shared wording
    stories = cluster_stories([_doc("a", napa, "o1"), _doc("b", peru, "o2")], threshold=0.01)
    assert stories["a"] != stories["b"]
