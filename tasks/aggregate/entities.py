"""Entities across the warehouse: which names are one entity, its id and canonical name on the mentions
(``resolution``, ``with_ids``; ``mentions`` writes them), and the speakers of quotes."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from tasks import ids
from tasks.aggregate import entity_ids, months, sql
from tasks.aggregate.entity_merge import merge_keys
from tasks.aggregate.identity import core, identity_pairs, initials
from tasks.aggregate.months import Months
from tasks.aggregate.name_index import Evidence, NameCounts, NameKey, Resolution, family
from tasks.names import LABEL_FAMILY, NAME_LABELS, display_name, entity_key, is_acronym
from tasks.schemas import ENTITIES, STAGED, completed

if TYPE_CHECKING:
    from tasks.warehouse import Merged

EVIDENCE_COLUMNS = ["article_id", "label", "name_key"]
# a published canonical name gives way to a spelling mentioned this many times as often: so it changes at most
# about log2(mentions) times as a name's mentions grow, not at every near tie
RENAME_FACTOR = 2


def resolve(entities: pa.Table) -> pa.Table:
    """Mentions with ``entity_id`` set from their merged (family, name key) and ``canonical_name`` set to the
    entity's preferred full spelling: the most frequent, then the fewest all-capital words, then the longest."""
    counts = name_counts([entities])
    evidence = acronym_evidence(entities.to_batches(), map(str, entities["name_key"].to_pylist()))
    return with_ids(entities, resolution(counts, evidence)[0])


def name_counts(parts: Iterable[pa.Table | pa.RecordBatch]) -> NameCounts:
    """Mentions per (label, name key, spelling), summed over parts of the entities table (read one at a time)."""
    counts: NameCounts = Counter()
    for part in parts:
        columns = ["label", "name_key", "text"]
        grouped = pa.table(part.select(columns)).group_by(columns).aggregate([("text", "count")])
        for label, key, text, n in zip(*(grouped[c].to_pylist() for c in ("label", "name_key", "text", "text_count")),
                                       strict=True):
            counts[(label, key, text)] += n
    return counts


def _acronyms(mentions: NameCounts) -> set[NameKey]:
    return {(family(label), key) for label, key, text in mentions if is_acronym(text) and entity_key(text) == key}


EVIDENCE_SQL = f"""
with named as (select article_id, name_key from mentions where label in ({sql.NAMED}) group by all),
coded as (select article_id, name_key, code, expands from named join codes using (name_key)),
both_named as (
    select s.name_key as acronym_key, l.name_key, s.article_id
    from coded s join coded l using (article_id, code) where not s.expands and l.expands group by all
)
select acronym_key, name_key, count(*) as articles from both_named group by all
"""


def acronym_evidence(mentions: Iterable[pa.RecordBatch], names: Iterable[str]) -> Evidence:
    """The acronym rule's evidence (``identity``) that a one-word name stands for a name of several words whose
    initials it is: the articles mentioning both, from mentions (article_id, label, name_key) of the name keys
    ``names``. It adds up over articles, so a run counts its own articles only (``name_index``), and a rebuild
    a month's mentions at a time (no article spans two months)."""
    with sql.connect(mentions=staged_reader(mentions, EVIDENCE_COLUMNS), codes=_acronym_codes(names)) as con:
        found = con.sql(EVIDENCE_SQL).to_arrow_table()
    return Counter({(str(a), str(n)): int(k) for a, n, k in zip(
        *(found[c].to_pylist() for c in ("acronym_key", "name_key", "articles")), strict=True)})


def staged_reader(mentions: Iterable[pa.RecordBatch], columns: list[str]) -> pa.RecordBatchReader:
    """Chosen columns of mentions as one stream in the staged schema's types (a DuckDB relation of one schema)."""
    schema = pa.schema([STAGED["entities"].field(c) for c in columns])
    return pa.RecordBatchReader.from_batches(schema, (pa.RecordBatch.from_arrays(
        [b.column(c).cast(schema.field(c).type) for c in columns], schema=schema) for b in mentions))


def _acronym_codes(names: Iterable[str]) -> pa.Table:
    """(name_key, code, expands) of the name keys ``names`` (``_codes``)."""
    rows = [(key, code, expands) for key in set(names) for code, expands in _codes(key)]
    return pa.table({"name_key": [r[0] for r in rows], "code": [r[1] for r in rows],
                     "expands": pa.array([r[2] for r in rows], pa.bool_())})


@lru_cache(maxsize=1 << 16)  # a rebuild asks a month at a time, and most names recur from month to month
def _codes(key: str) -> frozenset[tuple[str, bool]]:
    """(code, expands): the word a one-word name is, and the initials a name of several words makes, in either
    reading of its core (a person's or not: ``identity_pairs`` reads it as the entity's vote says)."""
    found: set[tuple[str, bool]] = set()
    for person in (False, True):
        stem = core(key, person)[0]
        if stem and " " not in stem:
            found.add((stem, False))
        if letters := initials(stem):
            found.add((letters, True))
    return frozenset(found)


def resolution(mentions: NameCounts, evidence: Evidence | None = None,
               prior: Mapping[NameKey, Counter[str]] | None = None,
               named: Mapping[str, str] | None = None) -> tuple[Resolution, dict[str, str]]:
    """Where each (label, name key) goes: the merged entity's id and canonical name; and the earlier ids that are
    now aliases (``evidence``: articles mentioning an acronym and a name it may stand for). A new entity's id is
    made from its most mentioned name of several words and the family of the label most of its mentions carry; an
    entity that had an id keeps it (``entity_ids``; ``prior``: the mentions per earlier id of each name), and keeps
    its earlier canonical name (``named``: by entity id) until another spelling is mentioned ``RENAME_FACTOR``
    times as often."""
    counts: Counter[NameKey] = Counter()
    labels: dict[NameKey, Counter[str]] = defaultdict(Counter)
    spellings: dict[NameKey, Counter[str]] = defaultdict(Counter)
    for (label, key, text), n in sorted(mentions.items()):  # ties fall the same way whatever order they came in
        name: NameKey = (family(label), key)
        counts[name] += n
        labels[name][label] += n
        if entity_key(text) == key:  # a full form, not a short form resolved to this name
            spellings[name][display_name(text)] += n
    met = evidence or Counter()
    linked = identity_pairs(list(counts), lambda k: labels[k].most_common(1)[0][0] == "PERSON",
                            _acronyms(mentions).__contains__,
                            lambda a, b: met[(a[1], b[1])] > 0,
                            counts.__getitem__)
    target = merge_keys(counts, linked)
    groups: dict[NameKey, list[NameKey]] = defaultdict(list)
    for name, rep in target.items():
        groups[rep].append(name)

    def fresh(rep: NameKey) -> str:
        vote: Counter[str] = Counter()
        for member in groups[(rep[0], rep[1].split("#")[0])]:
            vote.update(labels[member])
        label = vote.most_common(1)[0][0]
        return ids.entity_id(LABEL_FAMILY.get(label, label), rep[1])

    def canonical(rep: NameKey, entity_id: str) -> str:
        """The entity's own name's spellings, else any member's, against all its members' (``every``): counted
        here, a group at a time, not kept for every entity at once (most are one name: its own spellings)."""
        every = spellings.get(rep, Counter())
        if len(groups[rep]) > 1:
            every = Counter()
            for member in groups[rep]:
                every.update(spellings.get(member, ()))
        forms = spellings.get(rep, every)
        return _canonical(forms, every, (named or {}).get(entity_id)) if forms else rep[1]

    chosen, aliases = entity_ids.assign(groups, fresh, prior or {})
    entity = {rep: (chosen[rep], canonical(rep, chosen[rep])) for rep in groups}
    return {(label, key): entity[target[(family(label), key)]] for label, key, _ in mentions}, aliases


def _canonical(forms: Counter[str], every: Counter[str], earlier: str | None) -> str:
    """The preferred spelling of ``forms`` (``_preference``), or the ``earlier`` canonical name while that one is
    still mentioned (``every``: all the entity's spellings, its other names' too) and the preferred one is not
    mentioned ``RENAME_FACTOR`` times as often: a name near a tie between two spellings would otherwise change with
    every run, and every month naming it be written again. Its other names count: which of two names of an entity
    ("Anna Berg", "Anna Maria Berg") stands for it may itself turn on a near tie."""
    best = min(forms.items(), key=_preference)[0]
    if earlier is not None and every[earlier] > 0 and forms[best] < RENAME_FACTOR * every[earlier]:
        return earlier
    return best


def with_ids(entities: pa.Table | pa.RecordBatch, names: Resolution,
             entity_label: Mapping[str, str] | None = None) -> pa.Table:
    """Mentions (``label``: the NLP stage's) with ``entity_id`` and ``canonical_name`` from ``names``, and a named
    entity's mentions with its label from ``entity_label`` (``nlp_label`` keeps the NLP stage's)."""
    table = pa.table(entities)
    labels = [str(label) for label in table["label"].to_pylist()]
    merged = [names[(label, str(key))] for label, key in zip(labels, table["name_key"].to_pylist(), strict=True)]
    voted = [entity_label.get(m[0], label) if entity_label and label in NAME_LABELS else label
             for m, label in zip(merged, labels, strict=True)]
    return completed(table, "entities", {"label": pa.array(voted, pa.string()),
                                         "nlp_label": pa.array(labels, pa.string()),
                                         "entity_id": pa.array([m[0] for m in merged], pa.string()),
                                         "canonical_name": pa.array([m[1] for m in merged], pa.string())})


def _preference(form_count: tuple[str, int]) -> tuple[int, int, int, str]:
    form, count = form_count
    shouting = sum(1 for w in form.split() if len(w) > 1 and w.isupper())
    return -count, shouting, -len(form), form


QUOTES_PER_BUCKET = 100_000  # quotes one query joins and sorts, within the aggregate's DuckDB memory limit
SPEAKERS_SQL = """
select q.*, e.entity_id as speaker_entity_id, e.canonical_name as speaker_name
from (select * from staged_quotes where hash(article_id) % {buckets} = {bucket}) q
left join (select article_id, char_start, entity_id, canonical_name from entities
           where hash(article_id) % {buckets} = {bucket}) e
  on e.article_id = q.article_id and e.char_start = q.speaker_char_start
order by q.article_id, q.char_start
"""


def write_quotes(merged: Merged, quoted: Months, renamed: Iterable[pa.Table]) -> None:
    """The quotes with their speakers' merged ids and names: the stored ones of the months ``quoted`` (None: every
    month) a month at a time, with that month's mentions (an article's quotes and mentions lie in its month: over
    the whole warehouse at once, each bucket of ``speaker_batches`` read every mention again); the run's own with
    the mentions of those months; and the ``renamed`` rows, of months where only names changed."""
    commit = merged.commit
    mentions, stored = commit.parts_by_month("entities"), merged.base.parts_by_month("quotes")
    if None in stored:  # parts outside any month folder (written before quotes were partitioned): all at once
        passes = [(merged.batches("quotes", months=quoted, run=False), months.parts_in(commit, "entities", quoted))]
    else:
        passes = [(merged.batches("quotes", months={m}, run=False), mentions.get(m, []))
                  for m in months.held(stored, quoted)]
    passes.append((commit.staged("quotes"), months.parts_in(commit, "entities", quoted)))
    with commit.writer("quotes") as written:
        for quotes, parts in passes:
            found = pa.RecordBatchReader.from_batches(STAGED["quotes"], quotes)
            with sql.connect(commit.sql_filesystem, quotes=found,
                             entities=sql.Parquet(commit.urls("entities", parts), ENTITIES)) as con:
                written.write_all(speaker_batches(con))
        written.write_all(renamed)


def speaker_batches(con: duckdb.DuckDBPyConnection) -> Iterator[pa.RecordBatch]:
    """The quotes (relation ``quotes``, read once) with their speakers' merged ids and names, from the relation
    ``entities``: in article order, in buckets of articles of about ``QUOTES_PER_BUCKET`` quotes each."""
    con.execute("create temp table staged_quotes as select * from quotes")
    buckets = sql.buckets(con, "select count(*) from staged_quotes", QUOTES_PER_BUCKET)
    for bucket in range(buckets):
        yield from sql.stream(con, SPEAKERS_SQL.format(buckets=buckets, bucket=bucket))


def name_ids(names: Resolution) -> pa.Table:
    """``names`` as the relation ``ids`` of ``labels.entity_labels``: (label, name_key, entity_id)."""
    return pa.table({"label": [label for label, _ in names], "name_key": [key for _, key in names],
                     "entity_id": [entity_id for entity_id, _ in names.values()]})
