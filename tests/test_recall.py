"""Names the model missed, found from what the warehouse knows (tasks.aggregate.recall), on texts written here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from tasks.aggregate import recall
from tasks.schemas import SENTENCES, STAGED


def test_known_names_are_tagged_often_with_one_label() -> None:
    counts = Counter({("ORG", "globex corp", "Globex Corp"): 6, ("ORG", "globex", "Globex"): 1,  # too rare
                      ("ORG", "police", "Police"): 5, ("GPE", "police", "Police"): 4,  # labels disagree
                      ("PERSON", "mira okafor", "Mira Okafor"): 9,
                      ("PERSON", "okafor", "Okafor"): 9,  # a surname: its full name differs per article
                      ("DATE", "monday", "Monday"): 9, ("ORG", "x", "X"): 9,  # not a name; too short
                      ("WORK_OF_ART", "im", "I’m"): 9})  # a contraction
    assert recall.known_names(counts) == {"Globex Corp": "ORG", "Mira Okafor": "PERSON"}


def _recalled(text: str, known: dict[str, str], tagged: Sequence[tuple[int, int]] = (),
              sentences: Sequence[tuple[int, int]] = ()) -> list[dict[str, object]]:
    """recall.recalled_mentions over one article ``text`` with these mention spans and sentences."""
    con = duckdb.connect()
    con.register("entities", pa.Table.from_pylist(
        [{"article_id": "a1", "sentence_index": 0, "char_start": s, "char_end": e, "text": text[s:e], "label": "ORG",
          "model_label": "ORG", "name_key": text[s:e].lower()} for s, e in tagged], schema=STAGED["entities"]))
    con.register("sentences", pa.Table.from_pylist(
        [{"article_id": "a1", "sentence_index": i, "char_start": s, "char_end": e, "text": text[s:e]}
         for i, (s, e) in enumerate(sentences)], schema=SENTENCES))
    articles = pa.table({"article_id": ["a1"], "text": [text]}).to_batches()
    return recall.recalled_mentions(articles, con, known).to_pylist()


def test_recalled_are_whole_untagged_occurrences_longest_first() -> None:
    names = {"Globex": "Globex", "Globex Corp": "Globex Corp", "U.S.": "U.S."}
    text = "Globex Corp grew. Globex said the U.S. market, Globexia, Globex-Initech and Globex’s rivals did not."
    tagged = [(18, 24)]  # the second "Globex" is already a mention
    written: Counter[tuple[str, bool]] = Counter()
    found = [text[s:e] for s, e, _ in recall.occurrences(text, names, frozenset({"globex", "u.s"}), written)]
    assert found == ["Globex Corp", "Globex", "U.S.", "Globex"]  # the last without its possessive
    assert written == {("globex corp", False): 1, ("globex", False): 2, ("u.s.", False): 1}
    known = {"Globex": "ORG", "Globex Corp": "ORG", "U.S.": "GPE"}
    recalled = [(r["char_start"], r["text"]) for r in _recalled(text, known, tagged)]
    assert recalled == [(0, "Globex Corp"), (34, "U.S."), (76, "Globex")]  # not the one already tagged
    lowered = {**names, "globex corp": "Globex Corp"}
    assert not list(recall.occurrences("a globex corp deal", lowered, frozenset({"globex"}), written))
    assert written["globex corp", True] == 1


def test_a_name_written_in_lower_case_as_often_is_a_word() -> None:
    text = ("Justice Corp filed. Justice was served; justice delayed. Globex Corp agreed. Globex Corp, at "
            "www.globex corp.example, said so.")  # one lower-case use in three: a word; Globex Corp is one in ten
    known = {"Justice": "ORG", "Globex Corp": "ORG"}
    assert {r["text"] for r in _recalled(text * 2 + "Globex Corp " * 6, known)} == {"Globex Corp"}


def test_recalled_mentions_carry_their_sentence_and_mark() -> None:
    text = "Shares rose. Analysts at Globex Corp agreed."
    [row] = _recalled(text, {"Globex Corp": "ORG"}, sentences=[(0, 12), (13, len(text))])
    assert (row["text"], row["sentence_index"], row["model_label"], row["name_key"]) == (
        "Globex Corp", 1, "(recalled)", "globex corp")
