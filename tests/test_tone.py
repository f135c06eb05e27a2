"""Tone: sentences whose polarity no reader would dispute, GDELT's word counts, and an article's mean."""

from __future__ import annotations

import pytest

from tasks.nlp.tone import article_tone, tone

POSITIVE = ["The rescue was a wonderful success, and the families celebrated with joy.",
            "Volunteers praised the generous donors who helped rebuild the school.",
            "The award honours a brilliant and beloved teacher."]
NEGATIVE = ["The attack killed twelve people and wounded dozens more.",
            "Residents were furious after officials stole the money and lied about it.",
            "The flood destroyed homes and left families in grief."]
NEUTRAL = ["The committee meets on Tuesday in the town hall.", "The report has four chapters and an appendix."]


@pytest.mark.parametrize("text", POSITIVE)
def test_plainly_positive_sentences_score_above_zero(text: str) -> None:
    said = tone(text)
    assert said.compound > 0.3 and said.gdelt > 0


@pytest.mark.parametrize("text", NEGATIVE)
def test_plainly_negative_sentences_score_below_zero(text: str) -> None:
    said = tone(text)
    assert said.compound < -0.3 and said.gdelt < 0


@pytest.mark.parametrize("text", NEUTRAL)
def test_plain_statements_of_fact_score_zero(text: str) -> None:
    said = tone(text)
    assert said.compound == 0 and said.gdelt == 0


def test_negation_turns_the_compound_score_but_not_the_word_count() -> None:
    for apostrophe in ("'", "’"):  # news text uses both
        said = tone(f"The plan wasn{apostrophe}t a success.")
        assert said.compound < 0 < tone("The plan was a success.").compound
        assert said.positive == 1 and said.negative == 0  # GDELT's tone counts words, without rules


def test_gdelt_tone_is_positive_minus_negative_words_per_hundred() -> None:
    said = tone("Good news and bad news and more news today.")
    assert (said.words, said.positive, said.negative, said.gdelt) == (9, 1, 1, 0.0)
    assert tone("A great day.").gdelt == pytest.approx(100 / 3)


def test_an_article_is_the_mean_of_its_sentences_and_its_words() -> None:
    sentences = [tone(POSITIVE[0]), tone(NEGATIVE[0]), tone(NEUTRAL[0])]
    compound, gdelt = article_tone(sentences)
    assert compound == pytest.approx(sum(s.compound for s in sentences) / 3)
    words = sum(s.words for s in sentences)
    assert gdelt == pytest.approx(100 * (sum(s.positive for s in sentences) - sum(s.negative for s in sentences))
                                  / words)
    assert article_tone([]) == (None, None) and article_tone([tone("2024.")]) == (None, None)
