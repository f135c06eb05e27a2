"""Clean-stage rules on small hand-made pages: titles, authors, captions, comments, lists, metadata."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tasks.clean import clean_record, htmlpage, lines, textdump
from tasks.records import CleanArticle, RawRecord

PROSE = [
    "The city council approved the new budget on Tuesday after a debate that lasted more than six hours.",
    "Supporters said the plan would fund two new libraries, while critics warned about rising property taxes.",
    "The mayor is expected to sign the budget into law before the end of the month, officials said.",
]


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Council passes budget | The Daily Ledger", "The Daily Ledger", "Council passes budget"),
        ("Council passes budget after long night - Metro - Harbor News", None,
         "Council passes budget after long night"),
        ("メディア芸術祭賞が受賞：朝日新聞デジタル", "朝日新聞デジタル", "メディア芸術祭賞が受賞"),
        ("The keeper's cottage — it's for rent!", None, "The keeper's cottage — it's for rent!"),
        ("Harbor Lights: A Quiet Town Wakes Up", None, "Harbor Lights: A Quiet Town Wakes Up"),
        ("Should the town build the dam: Yes", "Yesterday's News", "Should the town build the dam: Yes"),  # words
        ("'The keepers': how a town kept its lighthouse", "The Daily Ledger",
         "'The keepers': how a town kept its lighthouse"),  # never cut at a colon that does not name the site
        ("The Daily Ledger | Council passes budget", "The Daily Ledger", "Council passes budget"),  # a site prefix
        ("Metro | Council passes budget", "The Daily Ledger", "Metro | Council passes budget"),  # not the site
        ("Council passes budget:Ledger", "Ledger", "Council passes budget"),
    ],
)
def test_strip_site_suffix(title: str, site: str | None, expected: str) -> None:
    assert htmlpage.strip_site_suffix(title, site) == expected


def test_stray_heading_loses_to_the_declared_title() -> None:
    meta = {"og_title": "Ferry fares rise for the winter timetable", "html_title": "Ferry fares rise | Gazette"}
    assert htmlpage.best_title("Follow us on Twitter", meta, "Gazette") == "Ferry fares rise for the winter timetable"
    assert htmlpage.best_title("Ferry fares rise for winter", meta, "Gazette") == "Ferry fares rise for winter"
    # a heading longer than the declared title, holding it, is the page's own headline
    longer = "Ferry fares rise for the winter timetable: 'We had no other choice this year', the harbor operator says"
    assert htmlpage.best_title(longer, meta, "Gazette") == longer


def _page(head: str, body: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PROSE)
    article = f"<article><h1>Council passes budget</h1>{paragraphs}</article>"
    return f"<html><head>{head}</head><body>{body}{article}</body></html>"


def test_authors_from_meta_value_attribute_and_author_links() -> None:
    html = _page('<meta name="author" value="Priya Castellano"><title>Council passes budget</title>', "")
    assert htmlpage.extract(html).authors == ["Priya Castellano"]
    html = _page("<title>Council passes budget</title>", '<div>By <a href="/author/tunde-oke">Tunde Oke</a></div>')
    assert htmlpage.extract(html).authors == ["Tunde Oke"]


def test_html_metadata_section_tags_canonical_and_nested_credits() -> None:
    head = ('<meta property="article:section" content="Politics"><meta property="article:tag" content="budget">'
            '<meta name="keywords" content="council, budget"><link rel="canonical" href="https://x.example/a">'
            "<title>Council passes budget</title>")
    body = ('<figure><figcaption class="caption">The hall. <span class="credit">(Jane Roe/AFP)</span>'
            "</figcaption></figure>")
    page = htmlpage.extract(_page(head, body))
    assert (page.section, page.tags, page.canonical_url) == ("Politics", ["budget", "council"], "https://x.example/a")
    assert page.image_credits == ["AFP"]


def test_json_record_with_html_and_url_takes_the_html_path() -> None:
    html = _page('<meta property="article:published_time" content="2024-03-05T10:00:00Z">', "")
    article = clean_record(RawRecord(source_uri="f.jsonl#1", source_format="json", html=html,
                                     url="https://news.example/2024/03/05/budget"))
    assert isinstance(article, CleanArticle)
    assert article.text.split("\n\n") == PROSE
    assert article.published_at == datetime(2024, 3, 5, tzinfo=UTC)
    assert article.outlet_domain == "news.example"


def _dump(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_text_dump_skips_menus_and_keeps_short_lines_inside_the_body() -> None:
    menu = ["Home", "World", "Business", "Sports", "Opinion", "Video"] * 3
    dump = _dump(*menu, "Council passes budget after long night", PROSE[0], "What happens next", *PROSE[1:],
                 "Terms of Use", "Privacy Policy")
    result = textdump.extract(dump)
    assert result.paragraphs == [PROSE[0], "What happens next", *PROSE[1:]]
    assert result.title == "Council passes budget after long night"


def test_text_dump_comments_never_become_the_body() -> None:
    comment = "I have lived here for thirty years and this is the worst budget the council has ever passed, honestly."
    comments = [line for n in range(8) for line in (f"reader{n} says:", "November 19, 2019 at 6:34 am", comment)]
    dump = _dump(*PROSE, "34 responses to “Council passes budget”", *comments)
    assert textdump.extract(dump).paragraphs == PROSE


def test_share_buttons_in_other_languages_are_not_body_text() -> None:
    buttons = ["Teilen Twittern E-Mail", "Partager sur Facebook", "Compartir en WhatsApp", "シェア", "Link kopieren"]
    dump = _dump(PROSE[0], *buttons, *PROSE[1:])
    assert textdump.extract(dump).paragraphs == PROSE
    html = "<html><body><article>" + "".join(f"<p>{line}</p>" for line in (PROSE[0], *buttons, *PROSE[1:]))
    assert htmlpage.extract(html + "</article></body></html>").paragraphs == PROSE
    # A sentence that names the networks is not a button row.
    assert textdump.extract(_dump(*PROSE, "Facebook, Twitter and WhatsApp were fined on Monday.")).paragraphs[-1] \
        == "Facebook, Twitter and WhatsApp were fined on Monday."


def test_text_dump_drops_captions_without_credits_and_keeps_announced_lists() -> None:
    dump = _dump(PROSE[0], "FILE PHOTO: The council chamber in Harbor City, January 8, 2019. REUTERS/Jane Roe",
                 PROSE[1], "Mayor Elena Brandt, pictured at the town hall in 2018, when she was a councillor.",
                 "The budget funds these projects:", "North library", "South library", "Harbor tram study",
                 "Related Articles", "Another story about something else entirely happening today, officials said.")
    assert textdump.extract(dump).paragraphs == [PROSE[0], PROSE[1], "The budget funds these projects:",
                                                 "North library", "South library", "Harbor tram study"]


def test_text_dump_tags_above_the_title(seed_texts: dict) -> None:  # type: ignore[type-arg]
    assert textdump.extract(seed_texts["foxnews_kim_memorial.txt"]).tags == ["Kim Jong Un"]


def test_a_single_line_break_does_not_cut_a_paragraph() -> None:
    wrapped = "The ferry operator said on Monday that fares would rise<br>by a tenth from December."
    apart = "Commuters who cross twice a day will pay more.<br><br>Students keep their discount, the operator said."
    html = f"<html><body><article><h1>Ferry fares rise</h1><p>{wrapped}</p><p>{apart}</p>" + "".join(
        f"<p>{p}</p>" for p in PROSE) + "</article></body></html>"
    paragraphs = htmlpage.extract(html).paragraphs
    assert "The ferry operator said on Monday that fares would rise by a tenth from December." in paragraphs
    assert "Commuters who cross twice a day will pay more." in paragraphs
    assert "Students keep their discount, the operator said." in paragraphs


def _split_article(second_layout: str) -> str:
    first = "".join(f"<p>{p}</p>" for p in PROSE[:3])
    rest = "".join(f"<p>{p}</p>" for p in PROSE[3:])
    more = ("<p>The harbor board will publish the full timetable in the spring, after a last round of talks with the"
            " unions and the ferry operator.</p>")
    return (f"<html><body><h1>Council passes budget</h1><div class='grid'><div class='article-body'>{first}</div>"
            f"<aside>Advertisement</aside></div><div class='{second_layout}'><div class='article-body'>{rest}{more}"
            f"</div><aside>Advertisement</aside></div></body></html>")


def test_an_article_split_into_repeated_containers_is_read_whole() -> None:
    whole = htmlpage.extract(_split_article("grid")).paragraphs
    assert any(p.startswith("The harbor board will publish") for p in whole)
    elsewhere = htmlpage.extract(_split_article("sidebar")).paragraphs  # the same class in another layout
    assert not any(p.startswith("The harbor board will publish") for p in elsewhere)


def _dated_page(ld_published: str, meta_published: str) -> str:
    ld = f'{{"@type": "NewsArticle", "headline": "Night market reopens", "datePublished": "{ld_published}"}}'
    return (f'<html><head><meta property="article:published_time" content="{meta_published}">'
            f'<script type="application/ld+json">{ld}</script></head>'
            "<body><article><h1>Night market reopens</h1>"
            + "".join(f"<p>{p}</p>" for p in PROSE) + "</article></body></html>")


def test_a_stated_local_publication_time_gives_the_publishers_day() -> None:
    # Five minutes before midnight UTC is already the next morning where the page was published.
    late = htmlpage.extract(_dated_page("2021-03-06T01:55:00+02:00", "2021-03-05T23:55:00+00:00")).published
    assert late == "2021-03-06T01:55:00+02:00"
    cleaned = clean_record(RawRecord(source_uri="market.html", source_format="html",
                                     html=_dated_page("2021-03-06T01:55:00+02:00", "2021-03-05T23:55:00+00:00")))
    assert isinstance(cleaned, CleanArticle)
    assert cleaned.published_at == datetime(2021, 3, 5, 23, 55, tzinfo=UTC)


def test_a_stated_time_far_from_the_other_dates_does_not_move_the_day() -> None:
    # First published in January, re-dated in March: which of the two the page means is htmldate's call.
    page = _dated_page("2021-01-10T09:00:00+01:00", "2021-03-05T09:00:00")
    assert htmlpage.extract(page).published == "2021-03-05"


def _labelled_page(datelines: list[str]) -> str:
    return ('<html><head><meta name="date" content="2018-06-20"></head><body><article><h1>Night market reopens</h1>'
            + "".join(f"<p>{p}</p>" for p in PROSE) + "".join(f"<p>{d}</p>" for d in datelines)
            + "</article></body></html>")


def test_the_date_a_page_labels_as_published_beats_a_bare_meta_date() -> None:
    # <meta name=date> is often the last edit; readers take the labelled dateline as the date.
    assert htmlpage.extract(_labelled_page(["Veröffentlicht: 14.05.2018 – Hafenamt Nord"])).published == "2018-05-14"
    assert htmlpage.extract(_labelled_page(["Published on May 14, 2018"])).published == "2018-05-14"
    # A sentence that goes on after the label is not a dateline.
    assert htmlpage.extract(_labelled_page(["published at the start of 2017, the plan"])).published == "2018-06-20"


def test_a_list_of_posts_each_published_on_its_own_day_keeps_htmldates_choice() -> None:
    listed = [f"Another story, published on May {day}, 2018" for day in (3, 8, 12)]
    assert htmlpage.extract(_labelled_page(listed)).published == "2018-06-20"


def test_the_one_day_a_page_shows_in_time_elements_beats_a_bare_meta_date() -> None:
    shown = _labelled_page(['<time datetime="2018-06-11T09:30:00">11.06.2018, 09:30</time>'])
    assert htmlpage.extract(shown).published == "2018-06-11"
    # An embedded post quoted in a blockquote carries its own date, not the page's.
    embedded = _labelled_page(['</p><blockquote class="embed"><p>A post <time datetime="2017-09-04">Sep 4, 2017</time>'
                               "</p></blockquote><p>"])
    assert htmlpage.extract(embedded).published == "2018-06-20"


def test_a_publisher_in_the_author_field_gives_way_to_the_byline() -> None:
    # Publishers named after their founders look like people ("Milton Ashby" here); the page says it is the publisher.
    ld = '{"@type": "NewsArticle", "publisher": {"@type": "Organization", "name": "Milton Ashby"}}'
    html = (f'<html><head><meta name="author" content="Milton Ashby"><script type="application/ld+json">{ld}'
            '</script></head><body><article><h1>Council passes budget</h1><p class="byline">By <a rel="author" '
            'href="/staff/maria-okafor">Maria Okafor</a></p>' + "".join(f"<p>{p}</p>" for p in PROSE)
            + "</article></body></html>")
    assert htmlpage.extract(html).authors == ["Maria Okafor"]


def test_all_co_authors_of_a_byline_are_kept() -> None:
    byline = ", ".join(f'<a class="author" href="/staff/{n.lower().replace(" ", "-")}">{n}</a>'
                       for n in ("Maria Okafor", "Tom Lindqvist", "Ana de la Cruz"))
    others = "".join(f'<li><a href="/story/{i}">Another story of the week number {i}</a> by '
                     f'<a class="author" href="/staff/writer-{i}">Writer Number{i}</a></li>' for i in range(4))
    html = ('<html><head><meta name="author" content="Maria Okafor"></head><body><article><h1>Council passes budget'
            f'</h1><div class="meta"><p class="byline">By {byline}</p><time>March 5, 2024</time></div>'
            + "".join(f"<p>{p}</p>" for p in PROSE) + f"</article><aside><ul>{others}</ul></aside></body></html>")
    assert htmlpage.extract(html).authors == ["Maria Okafor", "Tom Lindqvist", "Ana de la Cruz"]


def test_video_teasers_with_clip_lengths_are_not_body_text() -> None:
    teaser = "JUST WATCHED Officials tour the flooded harbor Replay More Videos ... MUST WATCH Officials tour it 02:14"
    assert textdump.extract(_dump(PROSE[0], teaser, *PROSE[1:])).paragraphs == PROSE
    assert not lines.is_label("The council meets again at 10:30")  # a time of day, not a clip's length
    article = clean_record(RawRecord(source_uri="f.jsonl#1", source_format="json",
                                     text="\n\n".join([PROSE[0], teaser, *PROSE[1:]])))
    assert isinstance(article, CleanArticle) and teaser not in article.text


def test_link_preview_cards_after_names_are_not_body_text() -> None:
    card = "Ana Maria LimaPort vote passes after a long night Harbor tax stays for now MORE"
    body = f"Sen. Ana Lima {card} (D-Ore.) said the port vote was close. " + " ".join(PROSE)
    cleaned = clean_record(RawRecord(source_uri="a.json", source_format="json", text=body))
    assert isinstance(cleaned, CleanArticle)
    assert cleaned.text.startswith("Sen. Ana Lima (D-Ore.) said the port vote was close.")
    # Without the name before it, nothing says where a card would start: the text stays as it is.
    assert lines.without_link_cards("They want MORE money for McDonald's workers.") == (
        "They want MORE money for McDonald's workers.")
