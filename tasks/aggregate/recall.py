"""Names the model missed: a name the warehouse knows confidently is tagged where a run's article writes it and the
model tagged nothing there.

The small model misses names it tags elsewhere (a name at a sentence's start, in a list, in a headline);
``entity_rules.propagate`` recovers those its own article tags somewhere, this stage those other articles tag. A name
is known confidently (``known_names``) when it has been tagged often and almost always with one name label. A name
the run's articles also write in lower case is a common word or phrase ("Justice", "Federal", "surgeon general"),
and a one-word person name stands for a different full name in each article (the NLP stage resolves it there):
neither is recalled. Only the run's own articles are searched, so a run costs what it adds; the mentions found carry
``model_label`` '(recalled)'.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping

import duckdb
import pyarrow as pa

from tasks.aggregate import sql
from tasks.names import NAME_LABELS, entity_key
from tasks.schemas import STAGED

MIN_MENTIONS = 5  # tagged at least this often in the warehouse ...
MIN_SHARE = 0.9  # ... with one name label on at least this share of those mentions
MAX_WORDS = 6
LOWER_SHARE = 0.1  # a name written in lower case more often than this, for each capitalised use, is a word
RECALLED = "(recalled)"

_CONTRACTION = re.compile(r"['’](?:m|re|ll|ve|d|t)$", re.IGNORECASE)  # "I’m", "We’ll": not names
_ENDINGS = ("", ".", "'s", "’s")  # a sentence's full stop, a possessive
_ENDING = re.compile(r"(?:\.|['’]s)$")
_TOKEN = re.compile(r"[^\W_](?:[\w&'’-]|\.(?=\w))*\.?")  # a word, "T-Mobile", "U.S."

def known_names(counts: Mapping[tuple[str, str, str], int]) -> dict[str, str]:
    """Spelling → label of the names tagged confidently (see the module's docstring), from the mentions per
    (label, name key, spelling) of the warehouse (``entities.name_counts``)."""
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for (label, _key, text), n in sorted(counts.items()):  # a tie falls the same way whatever order they came in
        labels[" ".join(text.split())][label] += n
    known = {}
    for text, votes in labels.items():
        label, n = votes.most_common(1)[0]
        total = votes.total()
        one_word_person = label == "PERSON" and " " not in text
        if (label in NAME_LABELS and total >= MIN_MENTIONS and n >= MIN_SHARE * total and not one_word_person
                and not _CONTRACTION.search(text)
                and text[:1].isupper() and len(text) >= 3 and text.count(" ") < MAX_WORDS):
            known[text] = label
    return known


def occurrences(text: str, names: Mapping[str, str], first_words: frozenset[str],
                written: Counter[tuple[str, bool]]) -> Iterator[tuple[int, int, str]]:
    """The capitalised occurrences (start, end, spelling) in ``text`` of the known ``names`` (spelling or lower-case
    form → spelling): whole words, the longest name first, without a possessive; ``first_words``: the names' first
    words in lower case. ``written`` counts every occurrence by (lower-case form, whether it is written in lower
    case)."""
    tokens = [m.span() for m in _TOKEN.finditer(text)]
    i = 0
    while i < len(tokens):
        start = tokens[i][0]
        if _ENDING.sub("", text[start : tokens[i][1]]).lower() in first_words:
            for n in range(min(MAX_WORDS, len(tokens) - i), 0, -1):
                if (found := _known(text, start, tokens[i + n - 1][1], names)) is None:
                    continue
                name, end = found
                written[name.lower(), name.islower()] += 1
                if not name.islower():
                    yield start, end, names[name]
                i += n - 1
                break
        i += 1


def _known(text: str, start: int, end: int, names: Mapping[str, str]) -> tuple[str, int] | None:
    """The known name ``text[start:end]`` is, without a trailing full stop or possessive, and where it ends."""
    name = " ".join(text[start:end].split())
    for cut in _ENDINGS:
        if name.endswith(cut) and (stem := name[: len(name) - len(cut)]) in names:
            return stem, end - len(cut)
    return None


# The occurrences no mention of the run overlaps, each with the sentence it starts in: one pass over the run's
# mentions and over the sentences of the articles with an occurrence, whatever the run's size.
UNTAGGED_SQL = """
with untagged as (
    select * from occurrences o
    where not exists (select 1 from entities e
                      where e.article_id = o.article_id and e.char_start < o.char_end and o.char_start < e.char_end)
),
starts as (select article_id, sentence_index, char_start from sentences semi join untagged using (article_id))
select u.article_id, coalesce(s.sentence_index, 0) as sentence_index, u.char_start, u.char_end, u.text, u.label,
       u.model_label, u.label as nlp_label, u.name_key
from untagged u asof left join starts s on u.article_id = s.article_id and u.char_start >= s.char_start
order by u.article_id, u.char_start
"""


_OCCURRENCES = pa.schema([f for f in STAGED["entities"] if f.name not in ("sentence_index", "nlp_label")])


def recalled_mentions(articles: Iterable[pa.RecordBatch], con: duckdb.DuckDBPyConnection,
                      known: Mapping[str, str]) -> pa.Table:
    """The mentions of ``known`` names the model missed in ``articles`` (batches of article_id and text), whose
    mentions (as the NLP stage wrote them) and sentences are ``con``'s relations ``entities`` and ``sentences``; a
    name these articles also write in lower case (more than ``LOWER_SHARE`` times as often as capitalised) is a word
    or phrase ("Justice", "Federal", "surgeon general"), never recalled; a domain in a link ("t-mobile.com") is not
    enough."""
    names = {**{name.lower(): name for name in known}, **{name: name for name in known}}
    first_words = frozenset(_ENDING.sub("", name.split()[0]).lower() for name in known)
    written: Counter[tuple[str, bool]] = Counter()
    found: list[tuple[str, str, int, int, str]] = []  # (spelling, article_id, start, end, text)
    for batch in articles:
        for article_id, text in zip(map(str, batch["article_id"].to_pylist()), map(str, batch["text"].to_pylist()),
                                    strict=True):
            found.extend((name, article_id, start, end, text[start:end])
                         for start, end, name in occurrences(text, names, first_words, written))
    words = {name for name in known if written[name.lower(), True] > LOWER_SHARE * written[name.lower(), False]}
    found = [f for f in found if f[0] not in words]
    con.register("occurrences", pa.table({
        "article_id": [f[1] for f in found], "char_start": pa.array([f[2] for f in found], pa.int32()),
        "char_end": pa.array([f[3] for f in found], pa.int32()), "text": [f[4] for f in found],
        "label": [known[f[0]] for f in found], "model_label": [RECALLED] * len(found),
        "name_key": [entity_key(f[0]) for f in found]}, schema=_OCCURRENCES))
    return sql.table(con, UNTAGGED_SQL, STAGED["entities"])

