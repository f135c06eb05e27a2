"""Every table newslake writes, declared once.

Writers build tables with ``pa.Table.from_pylist(rows, schema=...)``; the README's data dictionary is
generated from these constants (``python -m tasks.schemas``). Each field carries a one-line description
in its metadata under ``b"description"``. Longer than 300 lines because every table is declared here, once.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

_UTC = pa.timestamp("us", tz="UTC")


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


ARTICLES = pa.schema(
    [
        _field("article_id", pa.string(), "Deterministic id: hash of the normalised URL and raw body.", False),
        _field("outlet_id", pa.string(), "Key into outlets ('unknown' when the source names no outlet).", False),
        _field("source_outlet", pa.string(), "Outlet name as the source gave it (before alias folding)."),
        _field("source_domain", pa.string(), "Outlet domain as the source gave it, or the URL's host."),
        _field("url", pa.string(), "Article URL as given by the source, if any."),
        _field("canonical_url", pa.string(), "The page's canonical URL (link rel=canonical / og:url), if any."),
        _field("title", pa.string(), "Headline."),
        _field("subtitle", pa.string(), "Standfirst / deck under the headline, if any."),
        _field("authors", pa.list_(pa.string()), "Person names from the byline, without 'By' or roles."),
        _field("published_at", _UTC, "Publication time in UTC; null when unknown."),
        _field("published_from", pa.string(), "Where published_at comes from: 'source' (the input's own field), "
               "'page' (found in the page or text), 'fetched' (a web archive's fetch time: the article existed then, "
               "it may be older); null when unknown."),
        _field("language", pa.string(), "ISO 639-1 code of the body text."),
        _field("text", pa.string(), "Clean article body; paragraphs separated by a blank line.", False),
        _field("word_count", pa.int32(), "Words in text: whitespace-separated tokens; in Chinese and Japanese, "
               "which write no spaces between words, each character counts as one; Thai, which writes none either, "
               "is cut into dictionary words (PyThaiNLP).", False),
        _field("sentence_count", pa.int32(), "Rows of this article in sentences.", False),
        _field("tone", pa.float32(), "Mean of its sentences' tone (VADER compound, -1 to +1); null without words."),
        _field("gdelt_tone", pa.float32(), "GDELT's tone: positive minus negative words (VADER's lexicon) per 100 "
               "words, no negation rules. Comparable with GDELT's trends, not its levels (other lexicons)."),
        _field("image_credits", pa.list_(pa.string()), "Photo credits found in captions (Reuters, AFP ...)."),
        _field("section", pa.string(), "Section of the site the article ran in, where the page says."),
        _field("tags", pa.list_(pa.string()), "Topic tags and keywords the page gives."),
        _field("source_uri", pa.string(), "Input path; 'path#N' for the N-th record (from 1) of a file, or for the "
               "record at byte offset N of a web archive.", False),
        _field("source_id", pa.string(), "The record's own id in its source, if it had one."),
        _field("source_format", pa.string(), "Input format: txt, html, json or warc.", False),
        _field("source_fields", pa.string(), "A JSON record's unmapped fields (topic, bias, section ids ...) as a "
               "JSON object text (nested values as JSON, values over 4 KiB left out); null when there are none."),
        _field("content_hash", pa.string(), "SHA-256 of the normalised clean text (exact-duplicate key).", False),
        _field("story_id", pa.string(), "Key into stories: the event this article covers, across outlets.", False),
        _field("duplicate_of", pa.string(), "article_id of the original when this article is an exact or near copy "
               "(syndicated text); null for originals. Filter on it to count without duplicates."),
        _field("duplicate_kind", pa.string(), "'exact' (same content_hash) or 'near' (MinHash Jaccard >= 0.8)."),
        _field("minhash", pa.binary(), "The text's MinHash signature that near copies are found with: 128 "
               "little-endian uint32 values (one for a text of five words or fewer); empty without words; null "
               "for an article stored before signatures were. Kept so a run fingerprints only the articles it adds "
               "and looks their copies up by the signatures' LSH bands."),
        _field("ingested_at", _UTC, "When this row was written.", False),
        _field("pipeline_version", pa.string(), "newslake version that produced the row.", False),
    ]
)

SENTENCES = pa.schema(
    [
        _field("article_id", pa.string(), "Key into articles.", False),
        _field("sentence_index", pa.int32(), "Position of the sentence in the article, from 0.", False),
        _field("char_start", pa.int32(), "Offset of the first character in articles.text.", False),
        _field("char_end", pa.int32(), "Offset one past the last character in articles.text.", False),
        _field("text", pa.string(), "The sentence: articles.text[char_start:char_end].", False),
        _field("tone", pa.float32(), "VADER's compound score of the sentence's wording, -1 (most negative) to +1; "
               "0 for neutral wording. Measures words, not stance: a sympathetic report of a disaster is negative."),
    ]
)

ENTITIES = pa.schema(
    [
        _field("article_id", pa.string(), "Key into articles.", False),
        _field("sentence_index", pa.int32(), "Sentence holding the mention's first character.", False),
        _field("char_start", pa.int32(), "Offset of the mention in articles.text.", False),
        _field("char_end", pa.int32(), "Offset one past the mention's end in articles.text.", False),
        _field("text", pa.string(), "The mention as written: articles.text[char_start:char_end].", False),
        _field("label", pa.string(), "OntoNotes label (PERSON, ORG, GPE, ...) after newslake's rules; the "
               "mentions of a named entity all carry its label (entity_catalog.label).", False),
        _field("model_label", pa.string(), "The label the spaCy model gave; '(propagated)' for a mention the model "
               "missed and a rule tagged from another mention of the same name in the article, '(recalled)' for one "
               "the warehouse tags confidently elsewhere (tasks/aggregate/recall.py).", False),
        _field("nlp_label", pa.string(), "The label newslake's NLP stage gave the mention in its article (the "
               "model's after the in-article rules; a copy's or a recalled mention's from its name): what the "
               "warehouse-wide vote that sets label counts, so labels do not depend on the order articles came in. "
               "Rows written before this column hold the label of their entity at the time."),
        _field("name_key", pa.string(), "Normalised name the mention stands for in its article (case, hyphen, "
               "accent and possessive variants folded; a one-word person name resolved to the article's full name).",
               False),
        _field("entity_id", pa.string(), "Id of the entity: hash of its type and name key, near-identical names "
               "across articles merged (see entity_catalog); a date, number or amount is one value: only its exact "
               "key shares its id.", False),
        _field("canonical_name", pa.string(), "Preferred spelling of the entity (its most frequent full form).", False),
    ]
)

QUOTES = pa.schema(
    [
        _field("article_id", pa.string(), "Key into articles.", False),
        _field("sentence_index", pa.int32(), "Sentence where the quote opens.", False),
        _field("char_start", pa.int32(), "Offset of the quote's first word in articles.text (inside the marks).",
               False),
        _field("char_end", pa.int32(), "Offset one past the quote's last character in articles.text.", False),
        _field("text", pa.string(), "The quoted words: articles.text[char_start:char_end].", False),
        _field("speaker_char_start", pa.int32(), "Offset of the speaker's mention in articles.text, if attributed."),
        _field("speaker_entity_id", pa.string(), "entity_id of the speaker, if attributed."),
        _field("speaker_name", pa.string(), "canonical_name of the speaker, if attributed."),
    ]
)

OUTLETS = pa.schema(
    [
        _field("outlet_id", pa.string(), "Hash of the outlet's domain (or name); 'unknown' for articles without one.",
               False),
        _field("name", pa.string(), "Outlet name (the registry's, else the name its articles give most)."),
        _field("domain", pa.string(), "Registered domain, without 'www.'."),
        _field("names_seen", pa.list_(pa.string()), "Every outlet name its articles' sources used (aliases folded)."),
        _field("country", pa.string(), "ISO 3166 country code, from data/outlets.csv."),
        _field("language", pa.string(), "Main language, from data/outlets.csv."),
        _field("media_type", pa.string(), "newspaper, tv, radio, wire, magazine or online, from data/outlets.csv."),
        _field("in_registry", pa.bool_(), "Whether data/outlets.csv knows the outlet.", False),
        _field("article_count", pa.int64(), "Articles in the warehouse from this outlet.", False),
        _field("first_published_at", _UTC, "Earliest published_at of its articles."),
        _field("last_published_at", _UTC, "Latest published_at of its articles."),
        _field("median_word_count", pa.float64(), "Median article word_count."),
        _field("wire_credit_share", pa.float64(), "Share of its articles with a wire agency photo credit.", False),
        _field("mean_tone", pa.float64(), "Mean of its articles' tone (VADER compound, -1 to +1): how its wording "
               "leans, which also follows what it covers; null when no article has a tone."),
        _field("top_image_credits", pa.list_(pa.string()), "Most frequent photo credits, most frequent first."),
        _field("top_entities", pa.list_(pa.string()), "Most mentioned people, organisations and places."),
    ]
)

STORIES = pa.schema(
    [
        _field("story_id", pa.string(), "Id of the story: made from its earliest article's id when first "
               "published, and kept from then on (coverage joining it later, even earlier coverage, keeps it).",
               False),
        _field("title", pa.string(), "Representative title: the earliest article's headline."),
        _field("first_published_at", _UTC, "Earliest published_at of its articles."),
        _field("last_published_at", _UTC, "Latest published_at of its articles."),
        _field("article_count", pa.int64(), "Articles in the story.", False),
        _field("outlet_count", pa.int64(), "Distinct outlets covering it.", False),
        _field("outlets", pa.list_(pa.string()), "Names of the outlets covering it.", False),
        _field("top_entities", pa.list_(pa.string()), "Most mentioned people, organisations and places."),
        _field("mean_tone", pa.float64(), "Mean of its articles' tone (VADER compound, -1 to +1)."),
    ]
)

ENTITY_ALIASES = pa.schema(
    [
        _field("alias_id", pa.string(), "An entity_id an earlier version used for an entity since merged into "
               "another: a saved filter on it still finds the entity.", False),
        _field("entity_id", pa.string(), "The entity it now is: key into entity_catalog.", False),
    ]
)

ENTITY_NAMES = pa.schema(
    [
        _field("label", pa.string(), "The label the NLP stage gave these mentions (not their entity's vote).", False),
        _field("name_key", pa.string(), "The normalised name (entities.name_key).", False),
        _field("text", pa.string(), "One spelling of it, as written.", False),
        _field("mentions", pa.int64(), "Mentions with this label and spelling across the warehouse.", False),
        _field("cued", pa.int64(), "Of those labelled PERSON, the ones right after \"on\" or \"via\" (\"on "
               "Twitter\"): the cue that makes an entity an organisation; 0 for other labels.", False),
        _field("entity_id", pa.string(), "The entity these mentions resolve to: key into entity_catalog.", False),
        _field("canonical_name", pa.string(), "That entity's canonical name (entities.canonical_name).", False),
    ]
)

ACRONYM_EVIDENCE = pa.schema(
    [
        _field("acronym_key", pa.string(), "A one-word name (entity_names.name_key) that may be an acronym.", False),
        _field("name_key", pa.string(), "A name of several words whose initials it is.", False),
        _field("articles", pa.int64(), "Articles that mention both: the acronym rule's evidence that the one "
               "stands for the other (an index the next run adds its own articles to).", False),
    ]
)

ENTITY_CATALOG = pa.schema(
    [
        _field("entity_id", pa.string(), "Key into entities.entity_id.", False),
        _field("canonical_name", pa.string(), "Preferred spelling (its most frequent full form; a published one "
               "holds until another is mentioned twice as often).", False),
        _field("label", pa.string(), "The label its mentions carry: their vote across the warehouse (a platform the "
               "model calls a person, named after 'on' or 'via', is an ORG; a published label holds until another is "
               "mentioned twice as often), always a name label (PERSON, ORG, GPE, "
               "LOC, NORP, FAC, EVENT, PRODUCT, WORK_OF_ART, LAW): dates, times, numbers, money and percentages stay "
               "in entities only.", False),
        _field("aliases", pa.list_(pa.string()), "Other spellings its mentions use.", False),
        _field("mention_count", pa.int64(), "Mentions in the warehouse.", False),
        _field("article_count", pa.int64(), "Articles that mention it.", False),
        _field("outlet_count", pa.int64(), "Outlets whose articles mention it.", False),
        _field("first_seen", pa.date32(), "UTC day of the earliest published_at of an article mentioning it "
               "(entity_daily.day)."),
        _field("last_seen", pa.date32(), "UTC day of the latest published_at of an article mentioning it."),
    ]
)

ENTITY_DAILY = pa.schema(
    [
        _field("entity_id", pa.string(), "Key into entity_catalog.", False),
        _field("outlet_id", pa.string(), "Key into outlets.", False),
        _field("day", pa.date32(), "UTC day of the articles' published_at; null when unknown."),
        _field("mentions", pa.int64(), "Mentions of the entity in that outlet's articles of that day.", False),
        _field("articles", pa.int64(), "Articles of that outlet and day that mention it.", False),
        _field("mentions_excl_duplicates", pa.int64(), "mentions, not counting articles that copy another.", False),
        _field("articles_excl_duplicates", pa.int64(), "articles, not counting articles that copy another.", False),
        _field("tone", pa.float64(), "Mean tone (VADER compound, -1 to +1) of the sentences of those articles that "
               "mention it: the wording around it, not a stance towards it; null when none has a tone."),
    ]
)

ENTITY_OUTLETS = pa.schema(
    [
        _field("entity_id", pa.string(), "Key into entity_catalog.", False),
        _field("outlet_id", pa.string(), "Key into outlets.", False),
        _field("mentions", pa.int64(), "Mentions of the entity in that outlet's articles, over every day: "
               "entity_daily summed, what the catalog and the outlets' top entities add up.", False),
        _field("articles", pa.int64(), "Articles of that outlet that mention it.", False),
        _field("first_day", pa.date32(), "The first day an article of that outlet mentions it; null when no such "
               "article has a date."),
        _field("last_day", pa.date32(), "The last such day."),
    ]
)

ENTITY_PAIRS = pa.schema(
    [
        _field("entity_a", pa.string(), "The pair's smaller entity_id.", False),
        _field("entity_b", pa.string(), "The pair's larger entity_id.", False),
        _field("name_a", pa.string(), "canonical_name of entity_a.", False),
        _field("name_b", pa.string(), "canonical_name of entity_b.", False),
        _field("article_count", pa.int64(), "Articles of its month that mention both: sum over "
               "months for a longer period.", False),
        _field("sentence_count", pa.int64(), "Sentences of the month's articles that mention both.", False),
    ]
)

PLACES = pa.schema(
    [
        _field("entity_id", pa.string(), "Key into entity_catalog: a place entity (a GPE, LOC or FAC, or a country or "
               "first-level region named under another label), or an organisation named after a place: the place "
               "its name starts with, a county, region or country, or a city of 100,000 people before a public "
               "body's noun (the Vermont Board of Parks: Vermont; the Dallas Fire Department: Dallas); or a "
               "place-labelled name the gazetteer lacks, the place it starts with or qualifies (Cook County Jail: "
               "Cook County; Northern Texas: Texas); or a name the model only ever calls an organisation, when a "
               "town of 15,000 people or more bears it and half the articles naming it name that town's region "
               "(Corpus Christi).", False),
        _field("name", pa.string(), "canonical_name of the entity.", False),
        _field("geonameid", pa.int64(), "GeoNames id of the entry it resolves to; null when unresolved (and for a "
               "region ISO 3166-2 names that GeoNames' packaged data does not)."),
        _field("place_name", pa.string(), "The gazetteer's name of that entry."),
        _field("kind", pa.string(), "country, admin1 (first-level region: a US state, a province ...), admin2 "
               "(second-level: a county, a parish ...), city or continent; null when unresolved."),
        _field("country_code", pa.string(), "ISO 3166-1 alpha-2 code of its country; null for a continent."),
        _field("admin1", pa.string(), "GeoNames admin1 code of its region (US: the state's postal code)."),
        _field("latitude", pa.float64(), "Decimal degrees: a town's GeoNames point, a country's mainland centroid "
               "(its published point where that is far from it: an archipelago, a long coast), a region's centre "
               "of the area its towns cover, a county's mean of its towns. A point, not an extent."),
        _field("longitude", pa.float64(), "Decimal degrees (see latitude)."),
        _field("resolved_by", pa.string(), "'only candidate', 'context' (other places its articles name, a region "
               "written after it, the outlet's country), 'population' (the most likely entry, context agreeing or "
               "silent) or, unresolved, 'no candidate' (no gazetteer entry of that name, or only villages of under "
               "5,000 people whose region its articles do not name).", False),
        _field("candidates", pa.int32(), "Gazetteer entries of that name.", False),
        _field("articles", pa.int64(), "Articles whose evidence was pooled: one place per entity across them "
               "(those of its doubtful mentions, for a name the model only calls an organisation).", False),
    ]
)

PLACE_EVIDENCE = pa.schema(
    [
        _field("entity_id", pa.string(), "Key into places: a place entity named in the month's articles.", False),
        _field("kind", pa.string(), "What is counted: 'articles' (articles naming it), 'name' (its mentions by the "
               "place name they give), 'country' and 'region' (articles also naming a place there), 'qualifier' "
               "(articles writing that region or country right after it) or 'outlet_country' (articles of an "
               "outlet of that country); 'doubted', 'doubted_name' and 'doubted_region', the same of the mentions "
               "that are a town's name the model calls an organisation, kept apart (read only for a name never "
               "read otherwise).", False),
        _field("key", pa.string(), "The name, the country code, or 'country/admin1' (a qualifier naming a country "
               "only: 'country/'); empty for 'articles' and 'doubted'.", False),
        _field("n", pa.int64(), "The count over the month's articles: sum over months for the whole warehouse, as "
               "places does.", False),
    ]
)

PLACE_EVIDENCE_TOTALS = pa.schema(
    [
        _field("entity_id", pa.string(), "Key into places: a place entity named in the warehouse.", False),
        _field("kind", pa.string(), "What is counted, as in place_evidence.", False),
        _field("key", pa.string(), "The name, the country code, or 'country/admin1', as in place_evidence.", False),
        _field("n", pa.int64(), "place_evidence's count summed over every month: what places resolves a place "
               "from, kept so that a run adds the months it writes rather than summing every month again.", False),
    ],
    # The rules the evidence was counted under (what a mention gives as evidence: tasks.aggregate.place_names and
    # places.article_evidence), raised with them; a run under other rules counts every month again and resolves
    # every place again. 2: the doubtful mentions of towns' names the model calls organisations. 3: the gazetteer's
    # country points (a country far from its mainland's centroid at its published point), so stored places move.
    metadata={"place_evidence_rules": "3"},
)

PLACE_COUNTRY_DAILY = pa.schema(
    [
        _field("country_code", pa.string(), "ISO 3166-1 alpha-2 code of the resolved places.", False),
        _field("outlet_id", pa.string(), "Key into outlets.", False),
        _field("day", pa.date32(), "UTC day of the articles' published_at; null when unknown."),
        _field("mentions", pa.int64(), "Mentions of places in that country (the country itself, its regions, "
               "counties and towns, and organisations named after them) in that outlet's articles of that day.",
               False),
        _field("articles", pa.int64(), "Articles of that outlet and day that mention a place in it.", False),
    ]
)

QUARANTINE = pa.schema(
    [
        _field("source_uri", pa.string(), "Input path; 'path#N' for the N-th record of a file.", False),
        _field("reason", pa.string(), "Short machine-readable reason (empty, binary, invalid_json, ...).", False),
        _field("detail", pa.string(), "Human-readable explanation.", False),
        _field("article_id", pa.string(), "For a 'duplicate': the article it repeats. Should that article's "
                                          "input stop providing it, the next run reads this record again."),
        _field("ingested_at", _UTC, "When this row was written.", False),
    ]
)

INPUTS = pa.schema(
    [
        _field("source_file", pa.string(), "Absolute path of an input file a run has processed.", False),
        _field("content_hash", pa.string(), "SHA-256 of the file's bytes: a changed file is processed again.", False),
        _field("size_bytes", pa.int64(), "File size when processed.", False),
        _field("mtime_ns", pa.int64(), "Modification time (ns) when processed; with the size, lets a run skip "
                                       "re-hashing an untouched file.", False),
        _field("articles", pa.int64(), "Articles it added.", False),
        _field("quarantined", pa.int64(), "Records (or the whole file) set aside into quarantine.", False),
        _field("size_limit", pa.int64(), "The run's max_input_bytes: a file refused as too_large is read again by "
                                         "a run that allows more."),
        _field("version", pa.string(), "Warehouse version that processed it.", False),
        _field("processed_at", _UTC, "When it was processed.", False),
    ]
)

# Not a Parquet table: gather appends a JSON line per source and poll to DIR/raw/health.jsonl, and newslake.duckdb
# reads it as the view ``source_health``, so a poll that commits nothing still shows.
SOURCE_HEALTH = pa.schema(
    [
        _field("polled_at", _UTC, "When the poll started.", False),
        _field("outlet", pa.string(), "The source's outlet, as the registry names it."),
        _field("kind", pa.string(), "feed, sitemap, urls or page.", False),
        _field("url", pa.string(), "The source's URL.", False),
        _field("status", pa.int32(), "HTTP status of its listing (304: unchanged since the last poll); 0 when no "
               "answer came.", False),
        _field("seen", pa.int32(), "Article links the listing holds.", False),
        _field("new", pa.int32(), "Of them, never fetched before (and first listed by this source).", False),
        _field("fetched", pa.int32(), "Of the new ones, fetched with status 200.", False),
        _field("errors", pa.int32(), "Listings and pages of this source that failed.", False),
        _field("error", pa.string(), "Why the listing failed, if it did."),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "sentences": SENTENCES,
    "entities": ENTITIES,
    "quotes": QUOTES,
    "outlets": OUTLETS,
    "stories": STORIES,
    "entity_catalog": ENTITY_CATALOG,
    "entity_aliases": ENTITY_ALIASES,
    "entity_names": ENTITY_NAMES,
    "acronym_evidence": ACRONYM_EVIDENCE,
    "entity_daily": ENTITY_DAILY,
    "entity_outlets": ENTITY_OUTLETS,
    "entity_pairs": ENTITY_PAIRS,
    "places": PLACES,
    "place_evidence": PLACE_EVIDENCE,
    "place_evidence_totals": PLACE_EVIDENCE_TOTALS,
    "place_country_daily": PLACE_COUNTRY_DAILY,
    "quarantine": QUARANTINE,
    "inputs": INPUTS,
}


# Columns that need the whole warehouse, so the aggregate stage alone fills them: the stages before it write these
# tables without them (``STAGED``), and the aggregate stage writes each table whole.
ASSIGNED_BY_AGGREGATE: dict[str, tuple[str, ...]] = {
    "articles": ("outlet_id", "story_id", "duplicate_of", "duplicate_kind", "minhash"),
    "entities": ("entity_id", "canonical_name"),
    "quotes": ("speaker_entity_id", "speaker_name"),
}
STAGED: dict[str, pa.Schema] = {
    name: pa.schema([f for f in schema if f.name not in ASSIGNED_BY_AGGREGATE.get(name, ())])
    for name, schema in TABLES.items()
}


def completed(rows: pa.Table | pa.RecordBatch, name: str, assigned: Mapping[str, pa.Array]) -> pa.Table:
    """Staged rows of table ``name`` with the ``assigned`` columns added (or set): the table as it is committed."""
    table = pa.table(rows)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {c: table.column(c) for c in STAGED[name].names
                                                      if c not in assigned}
    columns |= assigned
    return pa.Table.from_arrays([columns[f.name] for f in TABLES[name]], schema=TABLES[name])
