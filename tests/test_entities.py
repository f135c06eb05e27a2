"""Entity rules, merge rules and their guards, quotes: tiny hand-made inputs, no model."""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pytest

from tasks import ids
from tasks.aggregate import catalog, entities, entity_outlets, labels, name_index
from tasks.aggregate.entity_merge import candidate_pairs, merge_keys, same_entity
from tasks.aggregate.name_index import Counted, family
from tasks.aggregate.trends import entity_trends
from tasks.names import entity_key, is_acronym
from tasks.nlp.entity_rules import (
    Mention,
    harmonise,
    headline_names,
    propagate,
    relabel_people,
    short_form_owner,
    trim,
)
from tasks.nlp.quotes import find_quotes
from tasks.schemas import ARTICLES, ENTITIES, SENTENCES, STAGED


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        ("beat the Lakeside Rovers on Sunday", (5, 24), "Lakeside Rovers"),
        ("Petrenko Ivan 90 scored", (0, 16), "Petrenko Ivan"),
        ("Putin’s front-line", (0, 7), "Putin"),
        ("said the UN.", (5, 12), "UN"),
        ("Shares fell (Reuters)", (12, 21), "Reuters"),
        ("the U.S. said", (4, 8), "U.S."),  # an abbreviation keeps its full stop
        ("Ann Lee’s Twitter feed", (7, 17), "Twitter"),  # a span begun inside the possessive
        ("Ann Lee's Twitter feed", (7, 17), "Twitter"),
        ("in Washington.", (3, 14), "Washington"),
        ("Acme Inc. said", (0, 9), "Acme Inc."),
        ("27/09/2013-Ostravia news", (0, 19), "Ostravia"),  # a dateline's date is not part of the name
        ("Globex Corp\n\nUpdated daily", (0, 20), "Globex Corp"),  # a name stops at a line break
        ("\n\n Globex Corp said", (0, 14), "Globex Corp"),
    ],
)
def test_trim(text: str, span: tuple[int, int], expected: str) -> None:
    start, end = trim(text, *span)
    assert text[start:end] == expected


def test_harmonise_majority_and_short_forms_but_not_acronyms() -> None:
    texts = ["Campese", "Campese", "Campese", "Kim Jong Un", "Kim", "Un"]
    labels = ["PERSON", "NORP", "PERSON", "PERSON", "ORG", "ORG"]
    mentions = [Mention(i, i + 1, label, label) for i, label in enumerate(labels)]
    result = [m.label for m in harmonise(mentions, texts)]
    assert result[:3] == ["PERSON"] * 3
    assert result[4] == "PERSON"  # the one-word "Kim" takes the full name's label
    assert is_acronym("UN") and not is_acronym("Kim")
    acronym = harmonise([Mention(0, 11, "PERSON", "PERSON"), Mention(20, 22, "ORG", "ORG")], ["Kim Jong Un", "UN"])
    assert [m.label for m in acronym] == ["PERSON", "ORG"]  # "UN" is not short for Kim Jong Un


def test_propagate_tags_missed_repeats_only_where_free() -> None:
    text = "Syria beat Japan. Japan 2 Syria 1. Japanese fans"
    tagged = propagate(text, [Mention(0, 5, "GPE", "GPE"), Mention(11, 16, "GPE", "GPE")])
    assert [(text[m.start:m.end], m.model_label) for m in tagged] == [
        ("Syria", "GPE"), ("Japan", "GPE"), ("Japan", "(propagated)"), ("Syria", "(propagated)")]


def test_propagate_tags_the_surname_of_a_full_person_name() -> None:
    text = "Jermayne Okafor testified. Later Okafor left; Harbor Line said nothing."
    tagged = propagate(text, [Mention(0, 15, "PERSON", "PERSON"), Mention(46, 57, "ORG", "ORG")])
    assert [(text[m.start : m.end], m.label) for m in tagged] == [
        ("Jermayne Okafor", "PERSON"), ("Okafor", "PERSON"), ("Harbor Line", "ORG")]  # "Line" is no person's name


def test_headline_spans_become_the_names_inside_them() -> None:
    text = "Harbor Mobile To Acquire Lakeside Data Firm\nHarbor Mobile said on Monday that it will buy Lakeside Data."
    body = text.index("Harbor Mobile said")
    mentions = [Mention(0, 43, "ORG", "ORG"), Mention(body, body + 13, "ORG", "ORG"),
                Mention(text.index("Lakeside Data."), text.index("Lakeside Data.") + 13, "ORG", "ORG")]
    cut = headline_names(text, mentions)
    assert [text[m.start : m.end] for m in cut] == ["Harbor Mobile", "Lakeside Data", "Harbor Mobile", "Lakeside Data"]
    plain = "Harbor Mobile to acquire a data firm in the north of the country\nHarbor Mobile said so."
    spans = [Mention(0, 13, "ORG", "ORG"), Mention(plain.index("Harbor Mobile said"), plain.index(" said so"), "ORG",
                                                   "ORG")]
    assert headline_names(plain, spans) == spans  # not a headline-cased line: spans kept


def test_propagate_finds_whole_words_where_a_regex_would() -> None:
    text = "Kim, Kim-Jong, Kims, _Kim, Kim_ KimKim é Kimé 2Kim (Kim) Kim.\nKim"
    tagged = propagate(text, [Mention(0, 3, "PERSON", "PERSON")])
    expected = [m.span() for m in re.finditer(r"(?<![\w-])Kim(?![\w-])", text)]
    assert [(m.start, m.end) for m in tagged] == expected
    assert len(expected) == 4  # "Kim," "(Kim)" "Kim." and the last line


def test_propagate_never_overlaps_a_taken_span() -> None:
    text = "New York and York. New York again, York again."
    tagged = propagate(text, [Mention(0, 8, "GPE", "GPE"), Mention(13, 17, "GPE", "GPE")])
    assert [text[m.start:m.end] for m in tagged] == ["New York", "York", "New York", "York"]


def test_role_appositive_makes_a_person() -> None:
    text = "Hong Min, a senior analyst at the institute, spoke. Seoul, the capital, was quiet."
    out = relabel_people(text, [Mention(0, 8, "GPE", "GPE"), Mention(52, 57, "GPE", "GPE")])
    assert [m.label for m in out] == ["PERSON", "GPE"]
    assert out[0].model_label == "GPE"


def test_short_forms_resolve_only_to_a_single_full_name() -> None:
    assert short_form_owner("kim", ["kim jong un", "olga lyubimova"]) == "kim jong un"
    assert short_form_owner("putin", ["vladimir putin"]) == "vladimir putin"
    assert short_form_owner("kim", ["kim jong un", "kim ju ae"]) is None  # two Kims: leave it
    assert short_form_owner("kim jong", ["kim jong un"]) is None  # only one-word forms


@pytest.mark.parametrize(
    ("a", "b", "merged"),
    [
        ("olga lyubimov", "olga lyubimova", True),
        ("zelensky", "zelenskyy", True),
        ("volodymyr zelenskiy", "volodymyr zelenskyy", True),
        ("kim jong un", "kim ju ae", False),  # two words differ: different people
        ("kim jong un", "kim", False),  # different word counts never merge
        ("ryan castell", "bryan castell", False),  # short first names must match exactly
        ("john smith", "jane smith", False),
        ("north korean", "north koreans", True),
        ("lena davis", "lena davids", True),  # one edit, the first name agreeing: a misspelling
        ("davis", "davids", False),  # one edit and no other word: as often two surnames
    ],
)
def test_same_entity(a: str, b: str, merged: bool) -> None:
    assert same_entity(a, b) is merged
    assert same_entity(b, a) is merged


def test_merge_keys_picks_the_most_mentioned_spelling() -> None:
    target = merge_keys({("PERSON", "olga lyubimova"): 2, ("PERSON", "olga lyubimov"): 1,
                         ("PERSON", "kim jong un"): 5, ("PERSON", "kim ju ae"): 1, ("ORG", "olga lyubimov"): 1})
    assert target[("PERSON", "olga lyubimov")] == ("PERSON", "olga lyubimova")
    assert target[("PERSON", "kim ju ae")] == ("PERSON", "kim ju ae")
    assert target[("ORG", "olga lyubimov")] == ("ORG", "olga lyubimov")  # types never merge


def test_candidate_pairs_hold_every_pair_that_merges() -> None:
    """The index finds what comparing every pair of a guard group (family, word count, first letter) finds."""
    rng = random.Random(7)
    letters = "abcdeklmnorsuvyz"

    def variant(word: str) -> str:
        i = rng.randrange(len(word))
        return rng.choice([word + rng.choice(letters) * rng.randint(1, 3), word[:i] + word[i + 1 :],
                           word[:i] + rng.choice(letters) + word[i + 1 :], word[:i] + rng.choice(letters) + word[i:],
                           rng.choice(letters) + word[1:]])

    names = set()
    for _ in range(300):
        words = ["".join(rng.choices(letters, k=rng.randint(2, 8))) for _ in range(rng.randint(1, 3))]
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(words))
            words = [*words[:i], variant(words[i]), *words[i + 1 :]]
            names.add((rng.choice(["PERSON", "ORG"]), " ".join(words)))
    found = {frozenset(p) for p in candidate_pairs(names) if same_entity(p[0][1], p[1][1])}
    expected = {frozenset((a, b)) for a in names for b in names if a < b and a[0] == b[0]
                and len(a[1].split()) == len(b[1].split()) and a[1][:1] == b[1][:1] and same_entity(a[1], b[1])}
    assert found == expected
    assert len(expected) > 50  # the names do hold many merges


def _mention(article: str, start: int, text: str, key: str, label: str = "PERSON") -> dict[str, object]:
    return {"article_id": article, "sentence_index": 0, "char_start": start, "char_end": start + len(text),
            "text": text, "label": label, "model_label": label, "name_key": key,
            "entity_id": ids.entity_id(label, key), "canonical_name": text}


def _articles(*rows: tuple[str, str, int]) -> pa.Table:
    """Articles (id, outlet, day of June 2025) as the catalog reads them."""
    return pa.Table.from_pylist([
        {"article_id": a, "outlet_id": o, "text": "x", "word_count": 1, "sentence_count": 1, "source_uri": a,
         "source_format": "txt", "content_hash": a, "ingested_at": datetime(2025, 1, 1, tzinfo=UTC),
         "pipeline_version": "t", "published_at": datetime(2025, 6, d, tzinfo=UTC), "story_id": a}
        for a, o, d in rows], schema=ARTICLES)


def _catalog(resolved: pa.Table, articles: pa.Table) -> dict[str, dict[str, object]]:
    """The catalog rows, by canonical name, of resolved mentions, from their daily counts and name index."""
    daily = entity_trends(articles, resolved, SENTENCES.empty_table())["entity_daily"]
    names = {(r["label"], r["name_key"]): (r["entity_id"], r["canonical_name"]) for r in resolved.to_pylist()}
    index = name_index.table(Counted(entities.name_counts([resolved])), names)
    return {str(r["canonical_name"]): r for r in catalog.catalog(daily, index).to_pylist()}


def test_an_outlets_top_entities_are_its_most_mentioned_over_every_day() -> None:
    rows = [_mention("a1", 0, "Olga Lyubimova", "olga lyubimova"),
            _mention("a2", 0, "Olga Lyubimova", "olga lyubimova"),
            _mention("a3", 0, "Kim Ju-ae", "kim ju ae"), _mention("a3", 20, "Kim Ju-ae", "kim ju ae"),
            _mention("a4", 0, "Kim Ju-ae", "kim ju ae")]
    resolved = pa.Table.from_pylist(rows, schema=ENTITIES)
    articles = _articles(("a1", "o1", 1), ("a2", "o1", 2), ("a3", "o2", 1), ("a4", "o1", 3))
    daily = entity_trends(articles, resolved, SENTENCES.empty_table())["entity_daily"]
    names = {(r["label"], r["name_key"]): (r["entity_id"], r["canonical_name"]) for r in rows}
    index = name_index.table(Counted(entities.name_counts([resolved])), names)
    with duckdb.connect() as con:
        con.register("entity_daily", daily)
        con.register("entity_names", index)
        con.register("entity_outlets", con.sql(entity_outlets.EVERY_SQL).to_arrow_table())
        top = catalog.top_entities(con, "outlet_id")
    # o1: Olga Lyubimova once on each of two days, Kim Ju-ae once: her two days summed put her first
    assert top == {"o1": ["Olga Lyubimova", "Kim Ju-ae"], "o2": ["Kim Ju-ae"]}


def test_resolve_and_catalog_across_articles() -> None:
    rows = [_mention("a1", 0, "Olga Lyubimova", "olga lyubimova"),
            _mention("a1", 30, "Olga Lyubimova", "olga lyubimova"),
            _mention("a2", 0, "Olga Lyubimov", "olga lyubimov"), _mention("a2", 20, "KIM Jong-un", "kim jong un"),
            _mention("a2", 40, "Kim", "kim jong un"), _mention("a2", 50, "Kim", "kim jong un"),
            _mention("a3", 0, "Kim Ju-ae", "kim ju ae")]
    resolved = entities.resolve(pa.Table.from_pylist(rows, schema=ENTITIES)).to_pylist()
    olga = {r["entity_id"] for r in resolved if "Lyubimov" in r["text"]}
    kim = {r["entity_id"] for r in resolved if r["name_key"] == "kim jong un"}
    assert len(olga) == 1 and len(kim) == 1 and kim != {r["entity_id"] for r in resolved if r["text"] == "Kim Ju-ae"}
    assert {r["canonical_name"] for r in resolved if r["name_key"] == "kim jong un"} == {"KIM Jong-un"}
    articles = _articles(("a1", "o1", 1), ("a2", "o2", 3), ("a3", "o2", 2))
    catalog = _catalog(pa.Table.from_pylist(resolved, schema=ENTITIES), articles)
    olga_row = catalog["Olga Lyubimova"]
    assert (olga_row["mention_count"], olga_row["article_count"], olga_row["outlet_count"]) == (3, 2, 2)
    assert olga_row["aliases"] == ["Olga Lyubimov"]
    assert (olga_row["first_seen"].day, olga_row["last_seen"].day) == (1, 3)
    assert olga_row["label"] == "PERSON"


def test_the_catalog_holds_names_and_leaves_dates_and_numbers_in_entities() -> None:
    rows = [_mention("a1", 0, "Olga Lyubimova", "olga lyubimova"), _mention("a1", 20, "Monday", "monday", "DATE"),
            _mention("a1", 30, "three", "three", "CARDINAL")]
    resolved = entities.resolve(pa.Table.from_pylist(rows, schema=ENTITIES))
    articles = _articles(("a1", "o1", 1))
    assert list(_catalog(resolved, articles)) == ["Olga Lyubimova"]
    assert resolved.num_rows == 3


def _voted(text: str, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The mentions of one article ``text`` with ids and the labels their entities' votes give them."""
    table = pa.Table.from_pylist(rows, schema=ENTITIES)
    names = entities.resolution(entities.name_counts([table]))[0]
    con = duckdb.connect()
    con.register("mentions", table)
    con.register("ids", entities.name_ids(names))
    con.register("articles", pa.table({"article_id": ["a1"], "text": [text]}))
    return entities.with_ids(table, names, labels.entity_labels(con)).to_pylist()


def test_minority_labels_follow_their_entity_and_the_model_label_stays() -> None:
    text = "Ann Lee spoke. Lee said so. Lee agreed. Ann Lee left."
    labels = ["PERSON", "ORG", "PERSON", "PERSON"]
    rows = [_mention("a1", m.start(), m.group(), "ann lee", label)
            for m, label in zip(re.finditer(r"Ann Lee|Lee", text), labels, strict=True)]
    voted = _voted(text, rows)
    assert [r["label"] for r in voted] == ["PERSON"] * 4 and voted[1]["model_label"] == "ORG"


def test_a_person_named_after_on_or_via_votes_organisation() -> None:
    text = "Posted on Chirper. Chirper said so. Ann Lee wrote on Chirper; via Chirper; a report on Ann Lee."
    rows = [_mention("a1", m.start(), m.group(), m.group().lower()) for m in re.finditer(r"Chirper|Ann Lee", text)]
    labels = {r["text"]: r["label"] for r in _voted(text, rows)}
    # 3 of Chirper's 4 mentions follow "on" or "via"; one of Ann Lee's 2 is too few to say
    assert labels == {"Chirper": "ORG", "Ann Lee": "PERSON"}


def test_the_vote_reads_the_articles_text_in_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    # the "on"/"via" cue counts add up over buckets of articles: many small buckets give the labels one bucket gives,
    # over names whose cued share sits around the quarter that decides (a bucket lost or counted twice shows)
    rng = random.Random(7)
    names_used = ["Chirper", "Lumova", "Vextra", "Quorrel", "Brindle", "Maltby", "Oskarsen", "Pellow", "Ruddock"]
    texts = {f"a{i}": " ".join(f"{rng.choice(['Posted on', 'Later', 'Then', 'Next'])} {rng.choice(names_used)}."
                               for _ in range(6)) for i in range(40)}
    rows = [_mention(a, m.start(), m.group(), m.group().lower()) for a, text in texts.items()
            for m in re.finditer("|".join(names_used), text)]
    table = pa.Table.from_pylist(rows, schema=ENTITIES)
    names = entities.resolution(entities.name_counts([table]))[0]

    def voted() -> tuple[dict[str, str], tuple[int, int] | None]:
        con = duckdb.connect()
        con.register("mentions", table)
        con.register("ids", entities.name_ids(names))
        con.register("articles", pa.table({"article_id": list(texts), "text": list(texts.values())}))
        mentions = entities.with_ids(table, names, labels.entity_labels(con)).to_pylist()
        return {r["text"]: r["label"] for r in mentions}, con.sql("select sum(cued), sum(n) from cues").fetchone()

    whole, counted = voted()
    assert counted == (sum(t.count("on ") for t in texts.values()), len(rows))
    monkeypatch.setattr(labels, "BUCKET_BYTES", 200)  # about two articles a bucket
    assert voted() == (whole, counted) and set(whole.values()) == {"ORG", "PERSON"}


def test_quotes_get_their_speakers_in_buckets_of_articles(monkeypatch: pytest.MonkeyPatch) -> None:
    mentions = pa.Table.from_pylist([_mention(f"a{i}", 10 * k, f"Name{k}", f"name{k}") for i in range(9)
                                     for k in range(3)], schema=ENTITIES)
    quotes = pa.Table.from_pylist([{"article_id": f"a{i}", "sentence_index": 0, "char_start": 100 + k,
                                    "char_end": 120 + k, "text": "words said", "speaker_char_start": 10 * k}
                                   for i in range(9) for k in (2, 0, 1)], schema=STAGED["quotes"])

    def speakers() -> list[list[tuple[str, int, str]]]:
        con = duckdb.connect()
        con.register("quotes", quotes)
        con.register("entities", mentions)
        return [list(zip(*(b[c].to_pylist() for c in ("article_id", "char_start", "speaker_name")), strict=True))
                for b in entities.speaker_batches(con)]

    [whole] = speakers()
    assert whole == sorted(whole) and len(whole) == 27 and {s for *_, s in whole} == {"Name0", "Name1", "Name2"}
    monkeypatch.setattr(entities, "QUOTES_PER_BUCKET", 6)  # 27 quotes: five buckets, each in article order
    buckets = [rows for rows in speakers() if rows]
    assert sorted(r for rows in buckets for r in rows) == whole and all(rows == sorted(rows) for rows in buckets)
    assert len(buckets) > 1


def test_quotes_and_their_speakers() -> None:
    parts = ['Hong Min, a senior analyst at the Korea Institute, told Yonhap the images shape a "victory narrative" '
             "here.", '"This is the most important decision," Elena Brandt told reporters.',
             '"I just want to play my music," she said.', 'He called it a "big deal".']
    text = " ".join(parts)
    starts = [text.index(p) for p in parts]
    sentences = [(s, s + len(p)) for s, p in zip(starts, parts, strict=True)]

    def at(name: str, label: str) -> tuple[int, int, str]:
        return text.index(name), text.index(name) + len(name), label

    mentions = [at("Hong Min", "PERSON"), at("Korea Institute", "ORG"), at("Yonhap", "ORG"),
                at("Elena Brandt", "PERSON")]
    quotes = find_quotes(text, sentences, mentions)
    assert [(text[q.start:q.end], q.sentence_index, q.speaker_start) for q in quotes] == [
        ("victory narrative", 0, text.index("Hong Min")),
        ("This is the most important decision,", 1, text.index("Elena Brandt")),
        ("I just want to play my music,", 2, text.index("Elena Brandt")),  # "she": the person named last before
    ]  # "big deal": two words and no speech verb, a scare quote, not a quote


def _speakers(text: str, names: dict[str, str], sentences: list[tuple[int, int]] | None = None) -> list[str | None]:
    """The speaker find_quotes gives each quote of ``text`` (one sentence unless ``sentences`` are given), with
    these (name → label) mentions, each at its first occurrence."""
    mentions = [(text.index(n), text.index(n) + len(n), label) for n, label in names.items()]
    quotes = find_quotes(text, sentences or [(0, len(text))], mentions)
    by_start = {start: name for name, (start, _, _) in zip(names, mentions, strict=True)}
    return [by_start.get(q.speaker_start) if q.speaker_start is not None else None for q in quotes]


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^.\n]+[.]\"?", text)]


@pytest.mark.parametrize(("sentence", "names", "expected"), [
    # After the quote, the name right after the verb speaks, not one named before the quote.
    ('After Lena Okafor won the race, "it was time for a change," said Tomas Varga.',
     {"Lena Okafor": "PERSON", "Tomas Varga": "PERSON"}, ["Tomas Varga"]),
    # The verb nearest the quote governs it ("asked by Ana Lima" is not who answers).
    ('When asked by Ana Lima about the port, Tomas Varga said, "We will build it in two years."',
     {"Ana Lima": "PERSON", "Tomas Varga": "PERSON"}, ["Tomas Varga"]),
    # A name describing an unnamed speaker ("one Senate Budget staffer") does not speak.
    ('"They are out of options and out of time," one Senate Budget staffer said.', {"Senate Budget": "ORG"}, [None]),
    ('Staff said many Harbor Bank employees want "more time to decide this."', {"Harbor Bank": "ORG"}, [None]),
    # A possessor with a bare apostrophe ("Ekwueme' budget") is not the subject.
    ("Marta Ruiz criticised Paul Ekwueme' budget, saying it ignored \"working families in the north.\"",
     {"Marta Ruiz": "PERSON", "Paul Ekwueme": "PERSON"}, ["Marta Ruiz"]),
    # A pronoun right before the verb is its subject, whoever the verb's clause names after it.
    ('He explained that Marta Ruiz and the mayor wanted "fresh ideas for the port."', {"Marta Ruiz": "PERSON"},
     [None]),
    # A dateline is not a speaker; a tagging slip that starts mid-word is not one either.
    ('OSLO (AP) — She said the port needed "a full review of the contracts."', {"OSLO": "ORG"}, [None]),
    ('"The plan will not work at all," said the mayor’s office.', {"’s office": "ORG"}, [None]),
    # A place after "in" is not the speaker of a quote in its sentence.
    ('At a "women in business" lunch in Bergen, the minister told guests to wait.', {"Bergen": "ORG"}, [None]),
    # A common noun as the verb's subject: nobody named speaks, whoever else the sentence names.
    ('Ana Lima is out of favour, "and everyone knows it by now," the source said of her.',
     {"Ana Lima": "PERSON"}, [None]),
    ('A source close to the mayor’s team said Tomas Varga is playing "a growing role in the talks."',
     {"Tomas Varga": "PERSON"}, [None]),
    ('Ana Lima, the mayor, said the port is "ready for the new ships."', {"Ana Lima": "PERSON"}, ["Ana Lima"]),
    # "he" right before the verb after the quote is its subject, though a name stands between.
    ('"The deal would fail by a wide margin" if Tomas Varga voted, he admitted.', {"Tomas Varga": "PERSON"}, [None]),
    # "the hacking claims" is a noun; the verb of the sentence is "said".
    ('Ana Lima said the hacking claims were false and meant to "hurt the port and its workers."',
     {"Ana Lima": "PERSON"}, ["Ana Lima"]),
    # A show's name is not words said, even with a full stop inside the marks; a quoted sentence in title case is.
    ('Tomas Varga said on "Harbor Talk Today." that the port is ready.', {"Tomas Varga": "PERSON"}, []),
    ('Tomas Varga said it is "Time To Stop The Harbor Tax." at once.', {"Tomas Varga": "PERSON"}, ["Tomas Varga"]),
    # An infinitive ("a way to say") is not a statement: the film is not its speaker.
    ('The Harbor Film is, she says, a way to say "thank you to my mother."', {"The Harbor Film": "ORG"}, [None]),
    # Before the quote, a name after the verb is its object, unless the verb is "according to".
    ('Okafor’s office responded with a statement chastising Tomas Varga for a vote "without any hearings at all."',
     {"Okafor": "PERSON", "Tomas Varga": "PERSON"}, [None]),
    ('According to Tomas Varga, the port is "ready for the new ships."', {"Tomas Varga": "PERSON"}, ["Tomas Varga"]),
    # A participle joined on has the subject of the verb before it: the source, not the name nearby.
    ('Varga is useful to Lima, the source said, adding, "He is the calm one in the room."',
     {"Varga": "PERSON", "Lima": "PERSON"}, [None]),
    # A conjunction after the quote starts another clause: its verb does not attribute the quote.
    ('Ana Lima also says the bank will weigh "security requests from the state," though Tomas Varga says it has '
     'none.', {"Ana Lima": "PERSON", "Tomas Varga": "PERSON"}, ["Ana Lima"]),
    # "Harbor Party spokesman Tomas Varga": the first name says whose the role is; the second speaks.
    ('"We will not comment on names," said Harbor Party spokesman Tomas Varga.',
     {"Harbor Party": "PERSON", "Tomas Varga": "PERSON"}, ["Tomas Varga"]),
    # "said the Bergen operative": a name between "the" and a common noun describes an unnamed speaker.
    ('"Lima hired one person and that is all anyone talks about," said the Bergen operative of the race.',
     {"Lima": "PERSON", "Bergen": "ORG"}, [None]),
    ('"We stand by our allies," the Harbor Party leader said.', {"Harbor Party": "ORG"}, [None]),
    # Only people speak: an organisation's quote is left without a speaker, and no person named after it takes it.
    ('"We stand by our allies," the Harbor Board said.', {"Harbor Board": "ORG"}, [None]),
    ('"We stand by our allies," the Harbor Board said, citing Tomas Varga.',
     {"Harbor Board": "ORG", "Tomas Varga": "PERSON"}, [None]),
    # Part of a word is not a name ("Obama" of "Obamacare").
    ('Under Lindcare, he said, "staff must use the exchanges from now on."', {"Lind": "PERSON"}, [None]),
    # After the quote, a finite verb of another clause does not reach back to a name before the quote; a joined
    # participle does.
    ('Tomas Varga had been "careless with the files" on the boat, which the board noted in May.',
     {"Tomas Varga": "PERSON"}, [None]),
    ('Tomas Varga called the plan "a gift to the shipping lobby," adding that it would fail.',
     {"Tomas Varga": "PERSON"}, ["Tomas Varga"]),
    # "another senior Harbor Bank official": a name after an indefinite and lowercase words describes the speaker.
    ('"He should ask more questions," says another senior Harbor Bank official.', {"Harbor Bank": "ORG"}, [None]),
    # Before the verb, the object of "told" or "praised" is not its subject; after a quote, "asks Varga" is.
    ('Ana Lima told Bergen Radio’s Tomas Varga she may run, but added, "I will decide in May."',
     {"Ana Lima": "PERSON", "Tomas Varga": "PERSON"}, ["Ana Lima"]),
    ('Chair Ana Lima praised Varga, saying he "did the right thing."', {"Ana Lima": "PERSON", "Varga": "PERSON"},
     ["Ana Lima"]),
    ('"Would we just sit there and wait?" asks Tomas Varga.', {"Tomas Varga": "PERSON"}, ["Tomas Varga"]),
    # A few words after "dubbed" are a name for something, not words said; after "titled", any number of words.
    ('What critics dubbed the "budget circus" will end, said Tomas Varga.', {"Tomas Varga": "PERSON"}, []),
    ('Tomas Varga wrote a post titled "Can we stop talking about the harbor tax now?" in May.',
     {"Tomas Varga": "PERSON"}, []),
    # A long appositive closed by a comma describes the speaker; without the closing comma the description leads
    # to the speaker's name.
    ('"The port is ready," Ana Lima, a law professor and the former head of the harbor office under Tomas Varga, '
     'writes.', {"Ana Lima": "PERSON", "Tomas Varga": "PERSON"}, ["Ana Lima"]),
    ('At a lunch with the Bergen Press Club on Monday, the city’s most senior harbor and bridge engineer Dr. Ana '
     'Lima said that "the port is ready."', {"Bergen Press Club": "ORG", "Ana Lima": "PERSON"}, ["Ana Lima"]),
])
def test_quote_speaker_rules_and_guards(sentence: str, names: dict[str, str], expected: list[str | None]) -> None:
    assert _speakers(sentence, names) == expected


def test_a_pronoun_after_a_quote_is_its_speaker_again_unless_someone_is_named_since() -> None:
    text = ('"I would like to hear from the board," Tomas Varga told Ana Lima.\n'
            'Then he told reporters: "The board has said nothing at all."\n'
            'Marta Ruiz disagreed with both of them. "The board spoke last week," she said.')
    people = {"Tomas Varga": "PERSON", "Ana Lima": "PERSON", "Marta Ruiz": "PERSON"}
    assert _speakers(text, people, _sentences(text)) == ["Tomas Varga", "Tomas Varga", "Marta Ruiz"]


def test_a_pronoun_skips_names_with_the_other_genders_title_and_objects_of_prepositions() -> None:
    text = ('"We are ready for the vote," Ana Lima said.\n'
            'Asked by Harbor Party leader Sir Tomas Varga about the delay, she said the talks go on. '
            '"The ships will come in May," she added.')
    people = {"Ana Lima": "PERSON", "Harbor Party": "PERSON", "Tomas Varga": "PERSON"}
    assert _speakers(text, people, _sentences(text)) == ["Ana Lima", "Ana Lima"]


def test_an_attribution_in_the_sentence_after_a_quote_that_ends_its_own() -> None:
    text = ('"Does the board have anything better to do?" Tomas Varga tweeted. The vote is on Monday.\n'
            '"The port is ready," Ana Lima explains.')
    cuts = [0, text.index(" Tomas") + 1, text.index(" The vote") + 1, text.index("\n") + 1, len(text)]
    sentences = list(itertools.pairwise(cuts))  # the model cuts after the closing mark
    assert _speakers(text, {"Tomas Varga": "PERSON", "Ana Lima": "PERSON"}, sentences) == ["Tomas Varga", "Ana Lima"]


def test_quotes_continue_and_pronouns_look_back_one_paragraph() -> None:
    text = ('"We will open the bridge in May," Elena Brandt said. "The money is there and the crews are ready."\n'
            '"Nobody asked the fishermen about any of this," she said.\nThe council meets on Friday.\n'
            '"It is far too late for that now," he said.')
    speakers = _speakers(text, {"Elena Brandt": "PERSON"}, _sentences(text))
    assert speakers == ["Elena Brandt"] * 3 + [None]  # two paragraphs back: no



def test_dates_numbers_and_amounts_merge_only_with_their_own_key() -> None:
    values = [("$4.2 million", "MONEY"), ("$42 million", "MONEY"), ("$42 billion", "MONEY"), ("$42 Billion", "MONEY"),
              ("6,000", "CARDINAL"), ("60,000", "CARDINAL"), ("1980", "DATE"), ("1980s", "DATE")]
    rows = [_mention("a1", 20 * i, text, entity_key(text), label) for i, (text, label) in enumerate(values)]
    rows += [_mention("a2", 0, "Olga Lyubimova", "olga lyubimova"),
             _mention("a2", 20, "Olga Lyubimov", "olga lyubimov")]
    resolved = entities.resolve(pa.Table.from_pylist(rows, schema=ENTITIES)).to_pylist()
    ids_ = {r["text"]: r["entity_id"] for r in resolved}
    assert ids_["$42 billion"] == ids_["$42 Billion"]  # the same value written twice
    assert len({ids_[text] for text, _ in values}) == len(values) - 1
    assert ids_["Olga Lyubimova"] == ids_["Olga Lyubimov"]  # names one letter apart still merge


def test_a_published_canonical_name_stays_until_another_spelling_is_mentioned_twice_as_often() -> None:
    def canonical(hyphened: int, spaced: int, named: dict[str, str] | None = None) -> tuple[str, str]:
        mentions = Counter({("PERSON", "jean luc moreau", "Jean-Luc Moreau"): hyphened,
                            ("PERSON", "jean luc moreau", "Jean Luc Moreau"): spaced})
        return entities.resolution(mentions, named=named)[0][("PERSON", "jean luc moreau")]

    entity_id, fresh = canonical(3, 4)
    assert fresh == "Jean Luc Moreau"  # without an earlier name: the most mentioned spelling
    assert canonical(3, 4, {entity_id: "Jean-Luc Moreau"})[1] == "Jean-Luc Moreau"  # a near tie keeps it
    assert canonical(3, 6, {entity_id: "Jean-Luc Moreau"})[1] == "Jean Luc Moreau"  # twice as often: renamed
    assert canonical(0, 4, {entity_id: "Jean-Luc Moreau"})[1] == "Jean Luc Moreau"  # no longer written so


def test_a_published_canonical_name_holds_when_another_of_the_entitys_names_draws_just_ahead() -> None:
    def canonical(short: int, full: int, earlier: str | None = None) -> tuple[str, str]:
        mentions = Counter({("PERSON", "anna berg", "Anna Berg"): short,
                            ("PERSON", "anna maria berg", "Anna Maria Berg"): full})
        held = None if earlier is None else {(family("PERSON"), "anna berg"): Counter({earlier: short}),
                                             (family("PERSON"), "anna maria berg"): Counter({earlier: full})}
        named = None if earlier is None else {earlier: "Anna Maria Berg"}
        return entities.resolution(mentions, None, held, named)[0][("PERSON", "anna berg")]

    entity_id, name = canonical(3, 4)
    assert name == "Anna Maria Berg"  # one entity, named by its most mentioned name
    assert canonical(4, 3, entity_id) == (entity_id, "Anna Maria Berg")  # the other name just ahead: held
    assert canonical(8, 3, entity_id) == (entity_id, "Anna Berg")  # twice as often: renamed


def _vote(counts: dict[str, int], cued: int = 0, earlier: str | None = None) -> str:
    """The label voted for one entity whose mentions carry ``counts`` (label -> mentions), ``cued`` of the person
    ones after "on" or "via", with the label ``earlier`` published."""
    with duckdb.connect() as con:
        con.register("counts", pa.table({"label": list(counts), "name_key": ["skyline"] * len(counts),
                                         "n": pa.array(list(counts.values()), pa.int64())}))
        con.register("cues", pa.table({"name_key": ["skyline"], "text": ["Skyline"],
                                       "cued": pa.array([cued], pa.int64()),
                                       "n": pa.array([counts.get("PERSON", 0)], pa.int64())}))
        con.register("ids", pa.table({"label": list(counts), "name_key": ["skyline"] * len(counts),
                                      "entity_id": ["e1"] * len(counts)}))
        published = None if earlier is None else pa.table({"entity_id": ["e1"], "label": [earlier]})
        return labels.vote(con, published)["e1"]


def test_a_published_label_holds_until_another_is_mentioned_twice_as_often() -> None:
    assert _vote({"ORG": 3, "GPE": 2}) == "ORG"
    assert _vote({"ORG": 3, "GPE": 2}, earlier="GPE") == "GPE"
    assert _vote({"ORG": 4, "GPE": 2}, earlier="GPE") == "ORG"
    assert _vote({"ORG": 3}, earlier="GPE") == "ORG"  # no longer voted at all
    assert _vote({"PERSON": 3, "ORG": 2}, earlier="EVENT") == "PERSON"  # a label none of its mentions carries


def test_a_published_platform_holds_while_half_the_rules_share_of_its_mentions_follow_on_or_via() -> None:
    assert _vote({"PERSON": 10}, cued=3) == "ORG"  # a quarter or more: a platform
    assert _vote({"PERSON": 10}, cued=2) == "PERSON"
    assert _vote({"PERSON": 10}, cued=2, earlier="ORG") == "ORG"  # published as one: an eighth keeps it
    assert _vote({"PERSON": 20}, cued=2, earlier="ORG") == "PERSON"
    assert _vote({"PERSON": 10}, cued=1, earlier="ORG") == "PERSON"  # two cued mentions at least, still
