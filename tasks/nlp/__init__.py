"""NLP: clean articles → sentences, entity mentions (with their name keys) and quotes. ``analyze`` runs spaCy and
turns its output into rows, ``entity_rules`` holds the news rules applied to its entities, ``quotes`` finds quotes
and their speakers (``speech`` the verbs that say who spoke)."""

from tasks.nlp.analyze import (
    PIPE_BATCH,
    analyze,
    default_model,
    load_model,
    nlp_cache_key,
    nlp_task,
    preload_model,
)
from tasks.nlp.sentences import sentence_spans

__all__ = [
    "PIPE_BATCH",
    "analyze",
    "default_model",
    "load_model",
    "nlp_cache_key",
    "nlp_task",
    "preload_model",
    "sentence_spans",
]
