"""Which spaCy model reads which language: a registry (``data/models.csv``: language, model, labels), not code.

A language's first installed model is used; a language without one still gets sentences (from the default model),
counted by language, but no entities. ``labels`` maps a model's entity labels onto the English model's, so that one
name is one entity across languages: the WikiNER-trained models (French, Spanish, German …) say PER where the English
one says PERSON, and LOC for countries and cities, which the English one calls GPE (their LOC also covers rivers and
mountains, which become GPE too: the price of one id per place across languages). MISC stays MISC, a label the
aggregates do not count as a name. More languages: install a model (``pip install de-core-news-sm``), add a row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import spacy

DEFAULT_REGISTRY = Path(__file__).resolve().parents[2] / "data" / "models.csv"


@dataclass(frozen=True, slots=True)
class LanguageModel:
    """The model that reads one language, and how its entity labels map onto the English model's."""

    language: str
    name: str
    labels: tuple[tuple[str, str], ...] = ()

    def label(self, label: str) -> str:
        return dict(self.labels).get(label, label)


@dataclass(frozen=True, slots=True)
class Models:
    """The default model (it reads its own language, and cuts the sentences of languages without a model) and the
    models of other languages."""

    default: str
    others: tuple[LanguageModel, ...] = ()

    def for_language(self, language: str | None) -> LanguageModel | None:
        return next((m for m in self.others if m.language == language), None)


def read_registry(path: str | Path | None = DEFAULT_REGISTRY) -> tuple[LanguageModel, ...]:
    """Each language's first installed model in the registry at ``path`` (none: no other languages). Raises
    ValueError, naming the row, for a row that is not language,model,labels with labels as FROM:TO pairs."""
    if path is None:
        return ()
    chosen: dict[str, LanguageModel] = {}
    with Path(path).open(encoding="utf-8", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):
            language, name = (row.get("language") or "").strip(), (row.get("model") or "").strip()
            pairs = [pair.split(":") for pair in (row.get("labels") or "").split()]
            if not language or not name or any(len(pair) != 2 or not all(pair) for pair in pairs):
                raise ValueError(f"{path}, line {number}: expected language,model,labels (labels as FROM:TO ...)")
            if language not in chosen and spacy.util.is_package(name):
                chosen[language] = LanguageModel(language, name, tuple((a, b) for a, b in pairs))
    return tuple(chosen.values())
