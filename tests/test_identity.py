"""Warehouse-wide identity rules (tasks.aggregate.identity) and their guards, on names written here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import pyarrow as pa

from tasks import ids
from tasks.aggregate import entities, entity_ids
from tasks.aggregate.identity import NAMED, core, identity_pairs, initials
from tasks.nlp.analyze import name_keys
from tasks.nlp.entity_rules import Mention
from tasks.schemas import ENTITIES, ENTITY_ALIASES


def _linked(names: Iterable[str], people: Iterable[str] = (), acronyms: Iterable[str] = (),
            together: Iterable[tuple[str, str]] = ()) -> set[frozenset[str]]:
    keys = [(NAMED, n) for n in names]
    people, acronyms, pairs = set(people), set(acronyms), {frozenset(p) for p in together}
    found = identity_pairs(keys, lambda k: k[1] in people, lambda k: k[1] in acronyms,
                           lambda a, b: frozenset((a[1], b[1])) in pairs)
    return {frozenset((a[1], b[1])) for a, b in found}


def test_core_drops_titles_suffixes_and_initials() -> None:
    assert core("dr sanjay gupta") == ("sanjay gupta", ())
    assert core("hewlett packard co") == ("hewlett packard", ())
    assert core("w mark felt sr") == ("mark felt sr", ("w",))  # a son is not his father: Jr. and Sr. stay
    assert core("dr") == ("dr", ())  # a title alone is left as it is
    assert core("j k") == ("j k", ())  # initials alone are the name
    assert initials("electronic data systems") == "eds" and initials("bank of harbor city") == "bhc"


def test_names_with_one_core_are_one_entity() -> None:
    assert _linked(["dr lena okafor", "lena okafor", "lena okafor md"]) == {
        frozenset({"dr lena okafor", "lena okafor"}), frozenset({"dr lena okafor", "lena okafor md"})}


def test_a_company_name_joins_its_company_but_no_person() -> None:
    assert _linked(["harbor mobile", "harbor mobile inc"]) == {frozenset({"harbor mobile", "harbor mobile inc"})}
    assert _linked(["lena okafor", "lena okafor inc"], people=["lena okafor"]) == set()


def test_different_initials_stay_apart_and_the_bare_name_joins_neither() -> None:
    assert _linked(["george h w bush", "george w bush", "george bush"]) == set()
    stray = [(NAMED, n) for n in ("lena k okafor", "a lena okafor", "lena okafor")]  # "a": an article, not initial
    weights = {"lena k okafor": 50, "a lena okafor": 2, "lena okafor": 90}
    found = identity_pairs(stray, lambda k: True, lambda k: False, lambda a, b: False, lambda k: weights[k[1]])
    assert len({frozenset((a[1], b[1])) for a, b in found}) == 2  # all three one person
    assert _linked(["w mark felt", "mark felt"]) == {frozenset({"w mark felt", "mark felt"})}


def test_a_middle_name_is_its_initial_for_people_only() -> None:
    people = ["lena kaye okafor", "lena k okafor", "lena j okafor"]
    assert core("lena kaye okafor", person=True) == ("lena okafor", ("k",))
    assert _linked(people, people=people) == {frozenset({"lena kaye okafor", "lena k okafor"})}
    assert _linked(["bank of harbor", "bank harbor"]) == set()  # not a person: "of" is not a middle name


def test_a_nickname_joins_the_one_full_name_it_is_short_for() -> None:
    people = ["fred okafor", "frederick t okafor", "bill lindqvist", "william lindqvist", "wilma lindqvist"]
    assert _linked(people, people=people) == {frozenset({"fred okafor", "frederick t okafor"}),
                                              frozenset({"bill lindqvist", "william lindqvist"})}
    both = ["chris okafor", "christopher okafor", "christine okafor"]
    assert _linked(both, people=both) == set()  # Chris could be either: left alone
    assert _linked(["fred okafor", "frederick okafor"]) == set()  # not people


def test_a_surname_joins_its_one_full_name() -> None:
    people = ["okafor", "lena okafor", "tom lindqvist", "lindqvist", "ana lindqvist"]
    linked = _linked(people, people=people)
    assert frozenset({"okafor", "lena okafor"}) in linked
    assert not any("lindqvist" in pair for pair in linked)  # two Lindqvists: left alone


def test_a_surname_goes_to_a_full_name_ten_times_as_mentioned_as_the_next() -> None:
    names = [(NAMED, n) for n in ("okafor", "lena okafor", "tom okafor", "watch okafor", "meet okafor")]
    weights = {"okafor": 5, "lena okafor": 40, "tom okafor": 3, "watch okafor": 2, "meet okafor": 2}
    found = identity_pairs(names, lambda k: True, lambda k: False, lambda a, b: False, lambda k: weights[k[1]])
    assert {frozenset((a[1], b[1])) for a, b in found} == {frozenset({"okafor", "lena okafor"})}
    weights["tom okafor"] = 5  # 40 against 5: not ten to one, left alone
    found = identity_pairs(names, lambda k: True, lambda k: False, lambda a, b: False, lambda k: weights[k[1]])
    assert list(found) == []


def test_a_full_name_split_by_initials_still_makes_its_surname_ambiguous() -> None:
    people = ["lena j okafor", "lena k okafor", "lena okafor", "tom okafor", "okafor"]
    linked = _linked(people, people=people)
    assert not any("okafor" in pair for pair in linked)  # not Tom's: the Lenas are named too, only not as one


def test_a_name_run_on_into_itself_is_that_name() -> None:
    assert core("lena okafor okafor", person=True) == ("lena okafor", ())
    assert core("lena okafor lena okafor", person=True) == ("lena okafor", ())
    assert core("okafor okafor", person=True) == ("okafor okafor", ())  # two words: a name some people have
    people = ["lena okafor", "lena okafor okafor", "tom okafor", "okafor"]
    linked = _linked(people, people=people)
    assert frozenset({"lena okafor", "lena okafor okafor"}) in linked  # no middle name "okafor"
    assert not any("okafor" in pair for pair in linked)  # Lena's and Tom's: left alone


def test_a_country_code_around_a_longer_name_is_not_the_name() -> None:
    assert core("us surgeon general") == ("surgeon general", ())
    assert core("harbor mobile usa") == ("harbor mobile", ())
    assert core("us army") == ("us army", ())  # one word would be left: kept


def test_a_surname_that_is_not_a_person_is_left_alone() -> None:
    assert _linked(["harbor", "lena harbor"], people=["lena harbor"]) == set()


def test_an_acronym_joins_the_one_expansion_it_appears_with() -> None:
    names = ["nhl", "northern harbor line", "new hope league"]
    assert _linked(names, acronyms=["nhl"], together=[("nhl", "northern harbor line")]) == {
        frozenset({"nhl", "northern harbor line"})}
    assert _linked(names, acronyms=["nhl"]) == set()  # never seen together: no evidence
    both = [("nhl", "northern harbor line"), ("nhl", "new hope league")]
    assert _linked(names, acronyms=["nhl"], together=both) == set()  # two expansions: left alone
    spelt = [("nhl", "northern harbor line"), ("nhl", "northern harbour line")]  # one name, two spellings
    assert frozenset({"nhl", "northern harbor line"}) in _linked(
        ["nhl", "northern harbor line", "northern harbour line"], acronyms=["nhl"], together=spelt)


def test_dates_and_numbers_are_never_linked() -> None:
    found = identity_pairs([("MONEY", "millions"), ("MONEY", "hundreds of millions")], lambda k: True,
                           lambda k: True, lambda a, b: True)
    assert list(found) == []


def _mention(article: str, start: int, text: str, key: str, label: str) -> dict[str, object]:
    return {"article_id": article, "sentence_index": 0, "char_start": start, "char_end": start + len(text),
            "text": text, "label": label, "model_label": label, "name_key": key,
            "entity_id": ids.entity_id(label, key), "canonical_name": text}


def test_labels_vote_and_acronyms_resolve_across_articles() -> None:
    rows = [_mention("a1", 0, "Lena Okafor", "lena okafor", "PERSON"), _mention("a1", 20, "Okafor", "okafor", "ORG"),
            _mention("a2", 0, "Okafor", "okafor", "PERSON"), _mention("a2", 40, "Okafor", "okafor", "PERSON"),
            _mention("a2", 10, "Dr. Lena Okafor", "dr lena okafor", "PERSON"),
            _mention("a3", 60, "Lena Okafor", "lena okafor", "PERSON"),
            _mention("a3", 0, "Northern Harbor Line", "northern harbor line", "ORG"),
            _mention("a3", 30, "NHL", "nhl", "ORG"), _mention("a4", 0, "NHL", "nhl", "ORG")]
    resolved = entities.resolve(pa.Table.from_pylist(rows, schema=ENTITIES)).to_pylist()
    okafor = {r["entity_id"] for r in resolved if "Okafor" in str(r["text"])}
    line = {r["entity_id"] for r in resolved if r["text"] in ("NHL", "Northern Harbor Line")}
    assert okafor == {ids.entity_id("PERSON", "lena okafor")}  # one person; the ORG mention follows the vote
    assert {r["canonical_name"] for r in resolved if "Okafor" in str(r["text"])} == {"Lena Okafor"}
    assert len(line) == 1
    assert {r["canonical_name"] for r in resolved if r["text"] == "NHL"} == {"Northern Harbor Line"}


def test_a_one_word_organisation_beside_a_full_person_name_is_that_person() -> None:
    text = "Lena Okafor won. Okafor said so. Harbor said no."
    mentions = [Mention(0, 11, "PERSON", "PERSON"), Mention(17, 23, "ORG", "ORG"), Mention(33, 39, "GPE", "GPE")]
    assert name_keys(text, mentions) == ["lena okafor", "lena okafor", "harbor"]


def _fresh(rep: tuple[str, str]) -> str:
    return f"new:{rep[1]}"


def test_new_entities_get_ids_from_their_names() -> None:
    chosen, aliases = entity_ids.assign({(NAMED, "lena okafor"): [(NAMED, "lena okafor")]}, _fresh, {})
    assert chosen == {(NAMED, "lena okafor"): "new:lena okafor"} and aliases == {}


def test_an_entity_keeps_its_id_when_a_longer_name_joins_it() -> None:
    prior = {(NAMED, "okafor"): Counter({"id-okafor": 4})}
    groups = {(NAMED, "lena okafor"): [(NAMED, "lena okafor"), (NAMED, "okafor")]}
    assert entity_ids.assign(groups, _fresh, prior) == ({(NAMED, "lena okafor"): "id-okafor"}, {})


def test_merged_entities_keep_the_bigger_id_and_alias_the_other() -> None:
    prior = {(NAMED, "nhl"): Counter({"id-nhl": 9}), (NAMED, "northern harbor line"): Counter({"id-line": 3})}
    groups = {(NAMED, "northern harbor line"): [(NAMED, "northern harbor line"), (NAMED, "nhl")]}
    chosen, aliases = entity_ids.assign(groups, _fresh, prior)
    assert chosen == {(NAMED, "northern harbor line"): "id-nhl"} and aliases == {"id-line": "id-nhl"}


def test_a_split_entity_gives_its_id_to_the_part_with_most_of_its_mentions() -> None:
    prior = {(NAMED, "george bush"): Counter({"id-bush": 2}), (NAMED, "george w bush"): Counter({"id-bush": 5})}
    groups = {(NAMED, "george bush"): [(NAMED, "george bush")], (NAMED, "george w bush"): [(NAMED, "george w bush")]}
    chosen, aliases = entity_ids.assign(groups, _fresh, prior)
    assert chosen == {(NAMED, "george w bush"): "id-bush", (NAMED, "george bush"): "new:george bush"}
    assert aliases == {}


def test_earlier_aliases_follow_their_entity() -> None:
    earlier = pa.table({"alias_id": ["a0"], "entity_id": ["a1"]}, schema=ENTITY_ALIASES)
    table = entity_ids.carried_aliases(earlier, {"a1": "a2"}, {"a2"})  # a1 merged into a2 in this run
    assert table.to_pylist() == [{"alias_id": "a0", "entity_id": "a2"}, {"alias_id": "a1", "entity_id": "a2"}]
    gone = entity_ids.carried_aliases(earlier, {}, {"a9"})  # a1's names left the warehouse: nothing to point at
    assert gone.num_rows == 0
