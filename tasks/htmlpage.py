"""HTML pages → article body and metadata, with trafilatura (and htmldate, which it runs for the date).

trafilatura finds the main content far better than hand-written DOM rules; what it lets through (caption
credits, share lines, labels, related-link headers) is removed with the same line rules as text dumps.
The page is parsed, never executed, and nothing is fetched.
"""

from __future__ import annotations

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from tasks import lines as ln
from tasks.records import Extracted

_CAPTION_XPATH = "//figcaption | //*[contains(@class, 'caption')] | //*[contains(@class, 'credit')]"


def extract(html: str, url: str | None = None) -> Extracted:
    """Body paragraphs and metadata of one HTML page; empty ``paragraphs`` when no article was found."""
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, include_images=False
    )
    if not isinstance(doc, Document):
        return Extracted(url=url)
    paragraphs, credits = filter_body_lines((doc.text or "").splitlines())
    if paragraphs and doc.title and _same_text(paragraphs[0], doc.title):
        paragraphs = paragraphs[1:]  # the headline repeated as the first block
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return Extracted(
        paragraphs=paragraphs,
        title=doc.title or None,
        subtitle=doc.description or None,
        authors=authors,
        published=doc.date or None,
        url=doc.url or url,
        outlet_name=doc.sitename or None,
        outlet_domain=doc.hostname or None,
        image_credits=credits or caption_credits(html),
    )


def caption_credits(html: str) -> list[str]:
    """Photo credits from the page's figure captions and credit elements (trafilatura drops figures)."""
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    found = []
    for node in tree.xpath(_CAPTION_XPATH):
        text = " ".join(node.text_content().split())
        credit = ln.caption_credit(text) or (text if "credit" in (node.get("class") or "").lower() else None)
        if credit and len(credit) <= 60:
            found.append(credit)
    return found


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def filter_body_lines(lines: list[str]) -> tuple[list[str], list[str]]:
    """Drop caption, share, label and bio lines and everything after a related-links header from an
    extracted body; return the kept paragraphs and the photo credits found."""
    kept: list[str] = []
    credits: list[str] = []
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if ln.is_related_header(line) and kept:
            break
        if credit := ln.caption_credit(line):
            credits.append(credit)
        elif not (ln.is_share(line) or ln.is_label(line) or (kept and ln.is_bio(line))):
            kept.append(line)
    return kept, credits
