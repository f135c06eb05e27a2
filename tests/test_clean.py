"""Clean: text dumps against the seeds' gold, HTML via trafilatura, JSON bodies, metadata parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tasks.clean import clean_record, lines, parse_published, textdump
from tasks.clean.bylines import clean_authors, parse_byline
from tasks.records import CleanArticle, Quarantined, RawRecord
from tests.conftest import SAMPLES

INTERNEWSCAST = "internewscast_kim_memorial.txt"
FOX = "foxnews_kim_memorial.txt"


@pytest.mark.parametrize("name", [INTERNEWSCAST, FOX])
def test_text_dump_keeps_every_gold_paragraph_and_nothing_else(name: str, seed_texts: dict, seeds_gold: dict) -> None:  # type: ignore[type-arg]
    body = textdump.extract(seed_texts[name]).paragraphs
    gold = [p.strip() for p in seeds_gold[name]["body_paragraphs"]]
    assert [p.strip() for p in body] == gold


@pytest.mark.parametrize("name", [INTERNEWSCAST, FOX])
def test_text_dump_body_has_no_boilerplate(name: str, seed_texts: dict, seeds_gold: dict) -> None:  # type: ignore[type-arg]
    body = "\n".join(textdump.extract(seed_texts[name]).paragraphs)
    for kind, example in seeds_gold[name]["boilerplate_examples"].items():
        assert example not in body, kind
    for marker in ("Credit:", "Share this", "You May Also Like", "(Reuters)", "Published"):
        assert marker not in body


def test_text_dump_metadata_of_the_seeds(seed_texts: dict, seeds_gold: dict) -> None:  # type: ignore[type-arg]
    fox = textdump.extract(seed_texts[FOX])
    gold = seeds_gold[FOX]
    assert (fox.title, fox.subtitle, fox.authors, fox.outlet_name) == (
        gold["title"], gold["subtitle"], [gold["author"]], gold["outlet_name"])
    assert fox.image_credits == gold["image_credits"]
    inc = textdump.extract(seed_texts[INTERNEWSCAST])
    assert inc.title is None and inc.authors == []
    assert inc.outlet_domain == seeds_gold[INTERNEWSCAST]["outlet_domain"]
    assert inc.image_credits == seeds_gold[INTERNEWSCAST]["image_credits"]


@pytest.mark.parametrize(
    ("rest", "before", "authors", "outlet"),
    [
        ("Jasmine Baehr Fox News", "Jasmine Baehr", ["Jasmine Baehr"], "Fox News"),
        ("Jane Doe and John Roe, Reuters", None, ["Jane Doe", "John Roe"], "Reuters"),
        ("Ann Lee | The Washington Post", None, ["Ann Lee"], "The Washington Post"),
        ("Sam Ortiz", None, ["Sam Ortiz"], None),
    ],
)
def test_parse_byline(rest: str, before: str | None, authors: list[str], outlet: str | None) -> None:
    assert parse_byline(rest, before) == (authors, outlet)


@pytest.mark.parametrize(
    ("line", "credit"),
    [
        ("Kim seemed moved by the sacrifices of his troopsCredit: X", "X"),
        ("A screen shows the ceremony in Pyongyang. (Reuters)", "Reuters"),
        ("Weeping over a casket. (Credit: Reuters)", "Reuters"),
        ("The mayor at the town hall. Credit...Jane Roe/The Daily Ledger", "The Daily Ledger"),
        ("Soldiers at the ceremony in 2017. (Tomasz Wielgosz/Reuters)", "Reuters"),
        ("The minister said the talks would resume on Monday.", None),
        ("He thanked the team (and his family) for their support.", None),
    ],
)
def test_caption_credit(line: str, credit: str | None) -> None:
    assert lines.caption_credit(line) == credit


def test_html_page_gives_body_without_chrome_and_its_metadata() -> None:
    html = (SAMPLES / "html" / "dailyledger_harbor_tram.html").read_text(encoding="utf-8")
    article = clean_record(RawRecord(source_uri="p.html", source_format="html", html=html))
    assert isinstance(article, CleanArticle)
    assert article.title == "Harbor City council approves $1.2 billion tram line"
    assert article.authors == ("Maria Okafor",)
    assert article.outlet_name == "The Daily Ledger" and article.outlet_domain == "dailyledger.example"
    assert article.published_at == datetime(2025, 7, 2, 13, 30, tzinfo=UTC)  # 09:30 in New York, as the page says
    assert article.image_credits == ("Reuters",)
    assert article.text.startswith("The Harbor City council voted 9 to 4")
    assert article.text.count("\n\n") == 4  # five paragraphs stay five paragraphs
    for chrome in ("Sign up", "Share on", "Related", "Five things", "All rights reserved", "tracking"):
        assert chrome not in article.text


def test_json_body_drops_labels_and_captions_and_keeps_metadata() -> None:
    record = RawRecord(
        source_uri="f.jsonl#1", source_format="json", url="https://www.Example.com/a?utm_source=x",
        text="First paragraph of the story here.\n\nAdvertisement\n\nA photo of it. (Jane Roe/AFP)\n\nLast one.",
        authors=("By Ann Lee", "Ann Lee"), published="7/3/25", outlet_name="Example News")
    article = clean_record(record)
    assert isinstance(article, CleanArticle)
    assert article.text == "First paragraph of the story here.\n\nLast one."
    assert article.image_credits == ("AFP",)
    assert article.authors == ("Ann Lee",)
    assert article.published_at == datetime(2025, 7, 3, tzinfo=UTC)
    assert article.outlet_domain == "example.com" and article.language == "en"


def test_record_with_nothing_left_is_quarantined() -> None:
    result = clean_record(RawRecord(source_uri="x.txt", source_format="txt", text="Share this\nAdvertisement\n"))
    assert isinstance(result, Quarantined) and result.reason == "no_body"


def test_article_id_is_deterministic_and_ignores_layout() -> None:
    a = clean_record(RawRecord(source_uri="a", source_format="json", text="One sentence here.\n\nTwo.",
                               url="http://www.x.example/p/"))
    b = clean_record(RawRecord(source_uri="b", source_format="json", text="One  sentence here.\n\n\nTwo.",
                               url="https://x.example/p#top"))
    c = clean_record(RawRecord(source_uri="c", source_format="json", text="Another article.",
                               url="https://x.example/p"))
    assert isinstance(a, CleanArticle) and isinstance(b, CleanArticle) and isinstance(c, CleanArticle)
    assert a.article_id == b.article_id != c.article_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-07-01T06:15:00Z", datetime(2025, 7, 1, 6, 15, tzinfo=UTC)),
        ("2025-07-02T09:30:00-04:00", datetime(2025, 7, 2, 13, 30, tzinfo=UTC)),
        ("June 30, 2025 10:21am EDT", datetime(2025, 6, 30, 14, 21, tzinfo=UTC)),
        ("June 30, 2025 10:21am ET", datetime(2025, 6, 30, 14, 21, tzinfo=UTC)),  # ET in summer is EDT
        ("January 30, 2025 10:21am ET", datetime(2025, 1, 30, 15, 21, tzinfo=UTC)),  # and EST in winter
        ("Mar 9, 2025 3:30 PM PT", datetime(2025, 3, 9, 22, 30, tzinfo=UTC)),  # the day PDT begins
        ("0001-11-30", None),
        ("2150-01-01", None),
        ("not a date", None),
        ("", None),
    ],
)
def test_parse_published(value: str, expected: datetime | None) -> None:
    assert parse_published(value) == expected


@pytest.mark.parametrize(
    ("values", "names"),
    [
        (["By Jane Doe", " ", "JANE DOE", "BY: Bo Li"], ("Jane Doe", "Bo Li")),
        (["Rosa Lindqvist, Paul K. Ferrante, Ada Mbeki and Tom Arkwright"],
         ("Rosa Lindqvist", "Paul K. Ferrante", "Ada Mbeki", "Tom Arkwright")),
        (["Nina Haddad Harbor Gazette"], ("Nina Haddad",)),
        (["Owen Pryce RIVERSIDE DAILY NEWS"], ("Owen Pryce",)),
        (["Kiran Mehta", "PTI", "Updated Oct 9"], ("Kiran Mehta",)),  # an agency acronym after the name
        (["Marta Quintero Updated"], ("Marta Quintero",)),
        (["Ivo Brandt Ivo Brandt"], ("Ivo Brandt",)),  # the name printed twice (avatar label and byline)
        (["Dana Whitfield | dwhitfield@gazette.example"], ("Dana Whitfield",)),
        (["By Inés de la Fuente and Marco del Prato"], ("Inés de la Fuente", "Marco del Prato")),
        (["Pieter van der Berg, Omar bin Khalid, Samir al-Hassan"], ("Pieter van der Berg", "Omar bin Khalid",
                                                                     "Samir al-Hassan")),
        (["The Associated Press"], ()),
        (["See full bio"], ()),
        (["A Bee, Cee Dee, Ef Gee, Aitch Eye, Jay Kay, El Em, En Oh"], ()),  # a staff list, not a byline
    ],
)
def test_clean_authors(values: list[str], names: tuple[str, ...]) -> None:
    assert clean_authors(values) == names
