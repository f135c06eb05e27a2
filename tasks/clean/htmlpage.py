"""HTML pages → article body and metadata, with trafilatura (and htmldate, which it runs for the date).

trafilatura finds the main content far better than hand-written DOM rules; what it lets through (caption
credits, share lines, labels, related-link headers) is removed with the same line rules as text dumps.
The page is parsed, never executed, and nothing is fetched.
"""

from __future__ import annotations

import re

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from tasks.clean import lines as ln
from tasks.clean.bylines import clean_authors
from tasks.clean.dates import publication_time
from tasks.records import Extracted

_CAPTION_XPATH = "//figcaption | //*[contains(@class, 'caption')] | //*[contains(@class, 'credit')]"
_WORD = re.compile(r"\w+")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_MIN_PROSE_WORDS = 15  # a paragraph of an article's text, not a label or a link
_SOFT_BREAK = re.compile(r"(?:\s*<br\s*/?>)+\s*", re.IGNORECASE)  # a run of line breaks
_MIN_TITLE_OVERLAP = 0.5
_PLAIN_SEPARATORS = (" | ", " - ", " – ", "｜", " » ", " :: ", "：", "_", "|")
_SITE_SEPARATORS = (*_PLAIN_SEPARATORS, " — ", ": ", " · ", ":")  # the last four only before the site's name
# Character references to C0 controls other than tab and line ends ("&#1;", "&#x1B;"): not text, and lxml's parser
# inside trafilatura gives up on the whole page at one of them.
_CONTROL_REFERENCE = re.compile(r"&#(?:0*(?:[0-8]|1[124-9]|2[0-9]|3[01])(?![0-9])"
                                r"|[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])(?![0-9a-fA-F]));?")


def extract(html: str, url: str | None = None) -> Extracted:
    """Body paragraphs and metadata of one HTML page; empty ``paragraphs`` when no article was found."""
    html = joined_soft_breaks(_CONTROL_REFERENCE.sub("", html))
    tree = _parse(html)
    meta = page_meta(tree) if tree is not None else {}
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, include_images=False,
        favor_recall=True,
    )
    if not isinstance(doc, Document):
        return Extracted(url=url)
    lines = (doc.text or "").splitlines()
    paragraphs, credits = filter_body_lines(lines + (continued_body(tree, lines) if tree is not None else []))
    title = best_title(doc.title, meta, doc.sitename)
    if paragraphs and title and _same_text(paragraphs[0], title):
        paragraphs = paragraphs[1:]  # the headline repeated as the first block
    return Extracted(
        paragraphs=paragraphs,
        title=title,
        subtitle=doc.description or None,
        authors=page_authors(doc.author, meta, tree, doc.sitename),
        published=publication_time(tree, doc.date or None),
        url=doc.url or url,
        canonical_url=meta.get("canonical") or doc.url or None,
        outlet_name=doc.sitename or None,
        outlet_domain=doc.hostname or None,
        image_credits=credits or (caption_credits(tree) if tree is not None else []),
        section=meta.get("section") or (doc.categories[0] if doc.categories else None),
        tags=_tags(meta.get("tags"), doc.tags),
    )


def continued_body(tree: lxml.html.HtmlElement, lines: list[str]) -> list[str]:
    """The paragraphs of an article body that the page splits into several containers of the same class in the
    same layout (the article's block repeated, ad rails between), after the one the extractor read: it reads one
    container, and the rest of the article is in the others, up to the first that holds no prose. [] when the
    extracted text is not in such a container."""
    extracted = {" ".join(line.split()) for line in lines}
    first = next((p for p in tree.iter("p") if _text(p) in extracted), None)
    container = first.getparent() if first is not None else None
    if container is None or not container.get("class"):
        return []
    layout = _signature(container.getparent())
    same = [node for node in tree.iter(container.tag)
            if node.get("class") == container.get("class") and _signature(node.getparent()) == layout]
    found = []
    for node in same[same.index(container) + 1 :]:
        texts = [_text(p) for p in node.iter("p")]
        if not any(ln.word_count(text) >= _MIN_PROSE_WORDS for text in texts):
            break  # the article's layout repeats, but no longer holds its prose
        found += [text for text in texts if text and text not in extracted]
    return found


def _signature(node: lxml.html.HtmlElement | None) -> tuple[str, str] | None:
    return (node.tag, node.get("class") or "") if node is not None else None


def joined_soft_breaks(html: str) -> str:
    """A single ``<br>`` becomes a space: it wraps a line inside a paragraph (a sentence must not be cut there);
    two or more in a row still separate paragraphs, as pages that put paragraphs in one element do."""
    return _SOFT_BREAK.sub(lambda m: m.group() if len(_BREAK.findall(m.group())) > 1 else " ", html)


def _parse(html: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def page_meta(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """og:/twitter:/article: meta values, the JSON-LD publisher, the <title> and the canonical link of a page."""
    found: dict[str, str] = {}
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip().lower()
        value = " ".join((node.get("content") or node.get("value") or "").split())
        if key in _META_KEYS and value and _META_KEYS[key] not in found:
            found[_META_KEYS[key]] = value
        elif key in {"article:tag", "keywords", "news_keywords"} and value:
            found["tags"] = f"{found['tags']},{value}" if "tags" in found else value
    for script in tree.xpath("//script[@type='application/ld+json']"):
        if "publisher" not in found and (match := _LD_PUBLISHER.search(script.text_content() or "")):
            found["publisher"] = " ".join(match.group(1).split())
    titles = tree.findall(".//title")
    if titles and (text := " ".join((titles[0].text_content() or "").split())):
        found["html_title"] = text
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href", "").startswith("http"):
            found["canonical"] = link.get("href", "").strip()
            break
    return found


_META_KEYS = {"og:title": "og_title", "twitter:title": "twitter_title", "og:site_name": "site_name",
              "article:section": "section", "og:url": "canonical", "author": "author", "article:author": "author",
              "parsely-author": "author", "sailthru.author": "author", "dc.creator": "author", "byl": "author",
              "publisher": "publisher", "dc.publisher": "publisher"}
_LD_PUBLISHER = re.compile(r'"publisher"\s*:\s*\{[^{}]*?"name"\s*:\s*"([^"]{2,80})"')
_BYLINE_CHARS = 200  # "By A, B, C and D | Updated 3:05 p.m. ET, March 5, 2024" and a little more
_AUTHOR_LINKS = "//a[contains(@href, '/author/') or contains(@rel, 'author') or contains(@class, 'author')]"


def page_authors(extracted: str | None, meta: dict[str, str], tree: lxml.html.HtmlElement | None,
                 site_name: str | None = None) -> list[str]:
    """Person names: the page's author meta tag, else trafilatura's, else the text of author links. A value that is
    the site's or publisher's own name (a CMS fills the author field with it) is not a person. An author field often
    holds only the first of several co-authors: the byline's author links then give all of them."""
    publishers = {" ".join(n.split()).casefold() for n in (site_name, meta.get("site_name"), meta.get("publisher"))
                  if n}
    for candidate in (meta.get("author"), extracted):
        names = clean_authors(candidate.split(";")) if candidate else ()
        if names := tuple(n for n in names if n.casefold() not in publishers):
            byline = byline_links(tree, names[0]) if tree is not None else []
            return byline if {n.casefold() for n in names} < {n.casefold() for n in byline} else list(names)
    if tree is None:
        return []
    return list(clean_authors(_text(a) for a in tree.xpath(_AUTHOR_LINKS)[:3]))


def byline_links(tree: lxml.html.HtmlElement, name: str) -> list[str]:
    """The names of the author links in the byline that links ``name``: the smallest box around that link, grown
    while it stays a line or two of text (a byline, not a list of stories by other writers)."""
    for link in tree.xpath(_AUTHOR_LINKS):
        if clean_authors([_text(link)]) == (name,):
            box = link.getparent()
            while box is not None and (up := box.getparent()) is not None and len(_text(up)) <= _BYLINE_CHARS:
                box = up
            return list(clean_authors(_text(a) for a in box.xpath("." + _AUTHOR_LINKS))) if box is not None else []
    return []


def _text(node: lxml.html.HtmlElement) -> str:
    return " ".join(node.text_content().split())


def best_title(extracted: str | None, meta: dict[str, str], site_name: str | None) -> str | None:
    """The headline without a site-name suffix: trafilatura's (the page's own heading), unless it shares too few
    words with the og:/twitter:/<title> titles either way (then it is a stray heading such as "Follow us")."""
    site = site_name or meta.get("site_name")
    declared = [strip_site_suffix(t, site) for t in (meta.get("og_title"), meta.get("twitter_title"),
                                                     meta.get("html_title")) if t]
    own = strip_site_suffix(extracted, site) if extracted else None
    if own and (not declared or max(max(_overlap(own, d), _overlap(d, own)) for d in declared) >= _MIN_TITLE_OVERLAP):
        return own  # the page's heading: it shares most of its words with a declared title, or holds most of one
    return declared[0] if declared else own


def _overlap(title: str, other: str) -> float:
    mine, theirs = set(_WORD.findall(title.casefold())), set(_WORD.findall(other.casefold()))
    return len(mine & theirs) / len(mine) if mine else 0.0


def strip_site_suffix(title: str, site_name: str | None) -> str:
    """"Headline | The Site" → "Headline": drop trailing segments that name the site, or that are short and
    follow a plain separator ("|", " - "); up to two ("Headline | Section | Site"). A leading segment goes only
    when it names the site ("The Site | Headline"). A headline is never cut at a colon or dash that does not set
    off the site's name."""
    title = " ".join(title.split())
    site = _WORD.findall((site_name or "").casefold())
    for _ in range(2):
        cut = None
        for sep in _SITE_SEPARATORS:
            head, found, suffix = title.rpartition(sep)
            if not found or len(head) < 10:
                continue
            tail = suffix.strip().casefold()
            generic = sep in _PLAIN_SEPARATORS and ln.word_count(tail) <= 5 and not re.search(r"[!?、，。]", tail)
            if _names_site(tail, site) or (generic and len(head) >= 20):
                cut = head.strip() if cut is None or len(head) > len(cut) else cut
        if cut is None:
            break
        title = cut
    for sep in _PLAIN_SEPARATORS:
        lead, found, rest = title.partition(sep)
        if found and len(rest) >= 10 and _names_site(lead.casefold(), site):
            return rest.strip()
    return title


def _names_site(segment: str, site: list[str]) -> bool:
    """Whether a title segment is the site's name, or holds it, or is part of it, word for word."""
    words = _WORD.findall(segment)
    if not words or not site:
        return False
    shorter, longer = sorted((words, site), key=len)
    return any(longer[i : i + len(shorter)] == shorter for i in range(len(longer) - len(shorter) + 1))


def _tags(meta_tags: str | None, doc_tags: list[str] | None) -> list[str]:
    values = [t.strip() for t in ",".join([meta_tags or "", *(doc_tags or [])]).split(",")]
    return list(dict.fromkeys(t for t in values if t and len(t) <= 80))


def caption_credits(tree: lxml.html.HtmlElement) -> list[str]:
    """Photo credits from the page's figure captions and credit elements (trafilatura drops figures); nested
    caption and credit elements count once."""
    found = []
    seen: set[lxml.html.HtmlElement] = set()
    for node in tree.xpath(_CAPTION_XPATH):
        if any(parent in seen for parent in node.iterancestors()):
            continue
        seen.add(node)
        text = _text(node)
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
        line = ln.without_link_cards(" ".join(raw.split()))
        if not line:
            continue
        if ln.is_related_header(line) and kept:
            break
        if credit := ln.caption_credit(line):
            credits.append(credit)
        elif not (ln.is_share(line) or ln.is_label(line) or (kept and ln.is_bio(line))):
            kept.append(line)
    return kept, credits
