"""Sentence boundaries the English model does not know: line breaks, Chinese and Japanese stops, Thai.

spaCy's senter does not break at paragraphs, so each model sentence is cut at line breaks. A Chinese or Japanese
sentence ends at its full stop, exclamation or question mark (with the closing quotes and brackets after it). Thai
has no sentence punctuation: a space separates clauses and sentences alike, so a line mostly in Thai script is split
by PyThaiNLP's CRF sentence segmenter ("crfcut", trained on Thai news and talks; the model ships in the package).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator

from tasks.scripts import THAI_LETTER

_LINE_BREAK = re.compile(r"\s*\n\s*")
_CJK_STOP = re.compile(r"[。！？][」』）〕】”’\"']*")
_LETTER = re.compile(r"[^\W\d_]")


def sentence_spans(text: str, spans: Iterable[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Split model sentences at line breaks, after Chinese and Japanese sentence ends and, in Thai, where PyThaiNLP
    puts them; trim whitespace. Offsets stay offsets into ``text``."""
    for start, end in spans:
        piece_start = start
        for brk in _LINE_BREAK.finditer(text, start, end):
            yield from _split_piece(text, piece_start, brk.start())
            piece_start = brk.end()
        yield from _split_piece(text, piece_start, end)


def _split_piece(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    piece = text[start:end]
    if _mostly_thai(piece):
        for sentence in _thai_segmenter()(piece):
            found = text.find(sentence, start, end)
            if found < 0:  # the segmenter changed the text: keep the rest whole rather than guess offsets
                break
            yield from _trimmed(text, found, found + len(sentence))
            start = found + len(sentence)
        yield from _trimmed(text, start, end)
        return
    for stop in _CJK_STOP.finditer(text, start, end):
        yield from _trimmed(text, start, stop.end())
        start = stop.end()
    yield from _trimmed(text, start, end)


def _mostly_thai(piece: str) -> bool:
    thai = len(THAI_LETTER.findall(piece))
    return thai > 0 and 2 * thai > len(_LETTER.findall(piece))


@functools.cache
def _thai_segmenter() -> Callable[[str], list[str]]:
    from pythainlp.tokenize import sent_tokenize  # ~1 s to load its model: only for a text in Thai

    def split(text: str) -> list[str]:
        return [sentence for sentence in sent_tokenize(text, engine="crfcut") if isinstance(sentence, str)]

    return split


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end
