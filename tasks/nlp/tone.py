"""Tone: how positively or negatively a text is worded, from VADER's lexicon (vaderSentiment ships it: nothing is
downloaded). Two measures, for two kinds of comparison:

- ``compound``: VADER's score of a sentence, from -1 (most negative) to +1, with its rules for negation ("not
  good"), intensifiers ("very") and contrast ("but"). An article's is the mean over its sentences: VADER is built for
  short texts, and its score of a whole article runs to ±1.
- GDELT's tone: positive minus negative words per 100 words (words whose lexicon valence is above or below 0), with
  no rules, so its figures can be set beside GDELT's own (which uses other lexicons: compare trends, not levels).

Both measure wording, not stance: a report of a disaster is negative however sympathetic, and quoted words count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?")  # words as GDELT counts them: letters first, inner ' and - kept


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@dataclass(frozen=True, slots=True)
class Tone:
    """A text's tone: VADER's compound score, and the words GDELT's tone counts."""

    compound: float
    words: int
    positive: int
    negative: int

    @property
    def gdelt(self) -> float:
        """Positive minus negative words per 100 words (0 for a text without words)."""
        return 100 * (self.positive - self.negative) / self.words if self.words else 0.0


def tone(text: str) -> Tone:
    """The tone of one sentence (or any short text)."""
    analyzer = _analyzer()
    text = text.replace("’", "'")  # VADER knows "wasn't" as a negation, not "wasn’t"
    words = _WORD.findall(text.lower())
    valences = [analyzer.lexicon.get(w, 0.0) for w in words]
    return Tone(compound=float(analyzer.polarity_scores(text)["compound"]), words=len(words),
                positive=sum(v > 0 for v in valences), negative=sum(v < 0 for v in valences))


def article_tone(sentences: list[Tone]) -> tuple[float | None, float | None]:
    """An article's mean compound over its sentences, and its GDELT tone over all its words; None without words."""
    words = sum(s.words for s in sentences)
    if not words:
        return None, None
    compound = sum(s.compound for s in sentences) / len(sentences)
    return compound, 100 * (sum(s.positive for s in sentences) - sum(s.negative for s in sentences)) / words
