"""An HTML page read as a stream: a large page loses its scripts, styles, SVG, comments and embedded data on the way
in, so what reaches the extractor is the markup that can hold an article, up to ``MAX_PAGE_CHARS``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tasks.ingest.decode import BadInput

# What one page may hand to an extractor: a text dump's text, a JSON body, or an HTML page's markup once scripts,
# styles, SVG, comments and embedded data are gone: trafilatura's time and memory grow with the markup, and the markup
# that can hold an article stays far below this on the pages of the extraction corpora.
MAX_PAGE_CHARS = 4 * 1024 * 1024
REDUCE_HTML_ABOVE = 2 * 1024 * 1024  # pages up to this size reach trafilatura as they are

_DROPPED_OPEN = re.compile(r"<(script|style|svg|noscript|template)\b|<!--", re.IGNORECASE)
_DROPPED_CLOSE = {tag: re.compile(rf"</{tag}\s*>", re.IGNORECASE)
                  for tag in ("script", "style", "svg", "noscript", "template")} | {"--": re.compile("-->")}
_DATA_URI = re.compile(r"""\bdata:[^,"'\s>]{0,256},[^"'\s>]*""", re.IGNORECASE)
_KEPT_SCRIPT = re.compile(r"""type\s*=\s*["']?application/ld\+json""", re.IGNORECASE)  # metadata: dates, authors


def reduced_markup(chunks: Iterator[str], limit: int = MAX_PAGE_CHARS) -> str:
    """An HTML page without what no extractor reads (scripts other than JSON-LD metadata, styles, SVG, templates,
    noscript fallbacks, comments, the payload of data: URIs), read piece by piece; ``too_long`` when more than
    ``limit`` characters are left."""
    kept: list[str] = []
    size = 0
    inside: str | None = None  # the dropped element (or "--": a comment) the previous piece ended in
    keep_inside = False
    carry = ""
    for piece in chunks:
        text, pos = carry + piece if carry else piece, 0
        del piece
        out: list[str] = []
        while pos < len(text):
            if inside is not None:
                closing = _DROPPED_CLOSE[inside].search(text, pos)
                if closing is None:  # keep a possible cut-off closing tag for the next piece
                    cut = max(pos, len(text) - 64)
                    if keep_inside:
                        out.append(text[pos:cut])
                    pos = cut
                    break
                if keep_inside:
                    out.append(text[pos : closing.end()])
                inside, pos = None, closing.end()
                continue
            opening = _DROPPED_OPEN.search(text, pos)
            if opening is None:
                last = text.rfind("<", pos)  # a tag (or an opening "<!-") cut off at the end of the piece waits
                cut = last if last >= 0 and text.find(">", last) < 0 else len(text)
                out.append(text[pos:cut])
                pos = cut
                break
            out.append(text[pos : opening.start()])
            pos, tag_end = opening.start(), opening.end()
            if opening.group(1):
                tag_end = text.find(">", tag_end) + 1
                if tag_end == 0:  # the opening tag goes on in the next piece (and with no ">" in this one, so
                    break  # does every later "<script": looking for each one's end would cost quadratic time)
            inside = (opening.group(1) or "--").lower()
            keep_inside = inside == "script" and bool(_KEPT_SCRIPT.search(text, opening.end(), tag_end))
            if keep_inside:
                out.append(text[pos:tag_end])
            pos = tag_end
        carry = text[pos:]
        if inside is None:  # a tag cut off at the end of the piece: its data: payload need not wait for its end
            carry = _DATA_URI.sub("data:,", carry)
        reduced = _DATA_URI.sub("data:,", "".join(out))
        size += len(reduced)
        if size + len(carry) > limit:
            raise BadInput("too_long", f"an HTML page with more than {limit:,} characters of markup once scripts, "
                                       f"styles and embedded data are removed: too long to be one article")
        kept.append(reduced)
    if inside is None or keep_inside:
        kept.append(_DATA_URI.sub("data:,", carry))
    return "".join(kept)
