"""HTML pages → article body and metadata, with trafilatura (and htmldate, which it runs for the date).

trafilatura finds the main content far better than hand-written DOM rules; what it lets through (caption
credits, share lines, labels, related-link headers) is removed with the same line rules as text dumps.
The page is parsed, never executed, and nothing is fetched.
"""

from __future__ import annotations

import trafilatura

from tasks import lines as ln
from tasks.records import Extracted


def extract(html: str, url: str | None = None) -> Extracted:
    """Body paragraphs and metadata of one HTML page; empty ``paragraphs`` when no article was found."""
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, include_images=False
    )
    if doc is None:
        return Extracted(url=url)
    paragraphs, credits = filter_body_lines((doc.text or "").splitlines())
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
        image_credits=credits,
    )


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
