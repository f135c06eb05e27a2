"""Writing systems without spaces between words: how their words are counted.

Whitespace-separated tokens are words in most scripts. Chinese and Japanese put no spaces between words, and word
processors count their text one kana or Han character to a word; that is what ``word_count`` does. Thai puts no
spaces between words either (a space there separates phrases and sentences), so its words are found with
PyThaiNLP's dictionary segmenter ("newmm", whose word list ships in the package).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

_EAST_ASIAN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # kana and Han characters
# kana and Han characters and their punctuation (ideographic space, stop and brackets; full-width punctuation)
_EAST_ASIAN_TEXT = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                              r"\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")
THAI_LETTER = re.compile(r"[\u0e01-\u0e5b]")
_THAI_RUN = re.compile(r"[\u0e01-\u0e5b]+")


def word_count(text: str) -> int:
    """Words of a text: whitespace-separated tokens, each kana or Han character one word, Thai split into words."""
    thai = _THAI_RUN.findall(text)
    spaced = _EAST_ASIAN_TEXT.sub(" ", _THAI_RUN.sub(" ", text) if thai else text)
    count = len(spaced.split()) + len(_EAST_ASIAN.findall(text))
    return count + sum(len(thai_words()(run)) for run in thai)


@functools.cache
def thai_words() -> Callable[[str], list[str]]:
    """PyThaiNLP's word segmenter, loaded on first use (about a second): only a text in Thai needs it."""
    from pythainlp.tokenize import word_tokenize

    return functools.partial(word_tokenize, engine="newmm", keep_whitespace=False)
