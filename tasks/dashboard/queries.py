"""What each chart and table of the dashboard shows, as one DuckDB query each over the warehouse's views.

Every query aggregates or LIMITs in DuckDB: the browser gets rows it draws, never a table. The filters every page
shares (a period of UTC days and an outlet) become the same WHERE clause on ``entity_daily.day`` or on the day of
``articles.published_at``; articles without a date are left out once a period is set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tasks.dashboard.reader import Row, Warehouse

PEOPLE, ORGANISATIONS, PLACES = ("PERSON",), ("ORG",), ("GPE", "LOC", "FAC")
TOP = 15  # names per bar chart
MAX_ENTITIES = 8  # lines on one attention chart


@dataclass(frozen=True, slots=True)
class Filters:
    """The period (inclusive UTC days) and outlet a person picked; None is no filter."""

    start: dt.date | None = None
    end: dt.date | None = None
    outlet: str | None = None

    def where(self, day: str, outlet: str, month: str) -> tuple[str, list[Any]]:
        """SQL conditions (always at least ``true``) on the given day and outlet_id expressions, and their values;
        the period also bounds the table's ``month`` (its partition folders), so DuckDB opens only those months."""
        conditions, values = ["true"], list[Any]()
        if self.start:
            conditions.append(f"{month} >= ? and {day} >= ?")
            values.extend([self.start.strftime("%Y-%m"), self.start])
        if self.end:
            conditions.append(f"{month} <= ? and {day} <= ?")  # 'undated' sorts after every month
            values.extend([self.end.strftime("%Y-%m"), self.end])
        if self.outlet:
            conditions.append(f"{outlet} = ?")
            values.append(self.outlet)
        return " and ".join(conditions), values

    def on_articles(self, alias: str = "a") -> tuple[str, list[Any]]:
        return self.where(f"cast(timezone('UTC', {alias}.published_at) as date)", f"{alias}.outlet_id",
                          f"{alias}.month")

    def on_daily(self, alias: str = "d") -> tuple[str, list[Any]]:
        return self.where(f"{alias}.day", f"{alias}.outlet_id", f"{alias}.month")


def outlet_choices(wh: Warehouse) -> list[Row]:
    return wh.query("select outlet_id, name, article_count from outlets order by article_count desc, name")


def period_bounds(wh: Warehouse) -> list[Row]:
    return wh.query("select min(day) as first_day, max(day) as last_day from entity_daily")


def search_entities(wh: Warehouse, text: str, limit: int = 20) -> list[Row]:
    """Named entities whose name or an alias contains ``text``, most mentioned first."""
    pattern = f"%{text.strip()}%"
    return wh.query("select entity_id, canonical_name, label, mention_count from entity_catalog "
                    "where canonical_name ilike ? or array_to_string(aliases, '|') ilike ? "
                    "order by mention_count desc, canonical_name limit ?", [pattern, pattern, limit])


def resolve_entities(wh: Warehouse, ids: list[str], filters: Filters) -> list[Row]:
    """The entities named in a link (ids merged since then followed to their entity), or else the three most
    mentioned people of the period."""
    if ids:
        marks = ", ".join("?" * len(ids[:MAX_ENTITIES]))
        return wh.query("select c.entity_id, c.canonical_name, c.label from entity_catalog c where c.entity_id in "
                        f"(select coalesce(a.entity_id, i.id) from (select unnest([{marks}]) as id) i "
                        "left join entity_aliases a on a.alias_id = i.id) order by c.mention_count desc",
                        ids[:MAX_ENTITIES])
    return top_entities(wh, PEOPLE, filters, limit=3)


def bucket_for(first: dt.date | None, last: dt.date | None) -> str:
    """Days for up to four months, weeks for up to three years, else months: a line a person can read."""
    span = (last - first).days if first and last else 0
    return "day" if span <= 120 else "week" if span <= 3 * 366 else "month"


def attention(wh: Warehouse, ids: list[str], filters: Filters) -> dict[str, Any]:
    """Mentions and articles per entity and day (or week, month: ``bucket``), with and without duplicates, zero
    where nothing mentions it within the period; then a row with day null per entity for its undated articles
    (none once a period is set)."""
    bounds = wh.query("select min(day) as first_day, max(day) as last_day from entity_daily")[0]
    first = filters.start or (dt.date.fromisoformat(bounds["first_day"]) if bounds["first_day"] else None)
    last = filters.end or (dt.date.fromisoformat(bounds["last_day"]) if bounds["last_day"] else None)
    bucket = bucket_for(first, last)
    if not ids or not first or not last:
        return {"bucket": bucket, "rows": []}
    where, values = filters.on_daily()
    marks = ", ".join("?" * len(ids))
    sums = ("sum(d.mentions) as mentions, sum(d.mentions_excl_duplicates) as mentions_excl_duplicates, "
            "sum(d.articles) as articles, sum(d.articles_excl_duplicates) as articles_excl_duplicates")
    rows = wh.query(f"""
        with chosen as (select unnest([{marks}]) as entity_id),
        spine as (select cast(unnest(generate_series(date_trunc('{bucket}', ?::date), ?::date,
                                                     interval 1 {bucket})) as date) as day),
        counts as (select d.entity_id, cast(date_trunc('{bucket}', d.day) as date) as day, {sums}
                   from entity_daily d join chosen using (entity_id) where d.day is not null and {where} group by all)
        select c.entity_id, c.canonical_name, s.day, coalesce(n.mentions, 0) as mentions,
               coalesce(n.mentions_excl_duplicates, 0) as mentions_excl_duplicates,
               coalesce(n.articles, 0) as articles, coalesce(n.articles_excl_duplicates, 0) as articles_excl_duplicates
        from chosen join entity_catalog c using (entity_id) cross join spine s
        left join counts n on n.entity_id = c.entity_id and n.day = s.day
        union all
        select d.entity_id, c.canonical_name, null, {sums}
        from entity_daily d join chosen using (entity_id) join entity_catalog c using (entity_id)
        where d.day is null and {where} group by all
        order by 3 nulls last, 2""", [*ids, first, last, *values, *values])
    return {"bucket": bucket, "rows": rows}


def top_entities(wh: Warehouse, labels: tuple[str, ...], filters: Filters, limit: int = TOP) -> list[Row]:
    """The most mentioned entities of these labels in the period and outlet."""
    where, values = filters.on_daily()
    marks = ", ".join("?" * len(labels))
    return wh.query("select d.entity_id, c.canonical_name, c.label, sum(d.mentions) as mentions, "
                    "sum(d.articles) as articles, sum(d.mentions_excl_duplicates) as mentions_excl_duplicates "
                    "from entity_daily d join entity_catalog c using (entity_id) "
                    f"where c.label in ({marks}) and {where} group by all "
                    "order by mentions desc, c.canonical_name limit ?", [*labels, *values, limit])


def stories(wh: Warehouse, filters: Filters, limit: int = 30) -> list[Row]:
    """Stories with an article in the period and outlet, most covered first: their outlets, first and last
    article and top entities."""
    where, values = filters.on_articles()
    return wh.query(f"""
        with picked as (select distinct a.story_id from articles a where {where} and a.story_id is not null),
        top as (select s.* from stories s join picked using (story_id)
                order by s.outlet_count desc, s.article_count desc, s.last_published_at desc nulls last limit ?),
        ends as (select a.story_id,
                        arg_min(struct_pack(title := a.title, outlet := o.name, published_at := a.published_at),
                                a.published_at) as first_article,
                        arg_max(struct_pack(title := a.title, outlet := o.name, published_at := a.published_at),
                                a.published_at) as last_article
                 from articles a join top using (story_id) left join outlets o using (outlet_id)
                 where a.published_at is not null group by a.story_id)
        select t.story_id, t.title, t.article_count, t.outlet_count, t.outlets, t.top_entities,
               t.first_published_at, t.last_published_at, e.first_article, e.last_article
        from top t left join ends e using (story_id)
        order by t.outlet_count desc, t.article_count desc, t.last_published_at desc nulls last""",
                    [*values, limit])


def countries(wh: Warehouse, filters: Filters) -> list[Row]:
    """Per country in the period and outlet: articles that name a place in it (the country, its regions, its
    towns) and those mentions, from ``place_country_daily``."""
    where, values = filters.on_daily()
    return wh.query("select d.country_code, sum(d.articles) as articles, sum(d.mentions) as mentions "
                    f"from place_country_daily d where {where} group by all "
                    "order by articles desc, mentions desc, d.country_code", values)


def speakers(wh: Warehouse, filters: Filters, limit: int = 20) -> list[Row]:
    where, values = filters.on_articles()
    return wh.query("select q.speaker_entity_id, q.speaker_name, count(*) as quotes, "
                    "count(distinct q.article_id) as articles from quotes q join articles a using (article_id, month) "
                    f"where q.speaker_entity_id is not null and {where} group by all "
                    "order by quotes desc, q.speaker_name limit ?", [*values, limit])


def quotes(wh: Warehouse, speaker: str | None, filters: Filters, limit: int = 50) -> list[Row]:
    """A speaker's quotes (or the latest attributed ones), with the article that carries each."""
    where, values = filters.on_articles()
    who = "q.speaker_entity_id = ?" if speaker else "q.speaker_entity_id is not null"
    return wh.query("select q.speaker_name, q.text, a.title, o.name as outlet, a.published_at, a.url "
                    "from quotes q join articles a using (article_id, month) left join outlets o using (outlet_id) "
                    f"where {who} and {where} order by a.published_at desc nulls last, q.article_id, q.char_start "
                    "limit ?", [*([speaker] if speaker else []), *values, limit])


def outlets_side_by_side(wh: Warehouse, filters: Filters, limit: int = 25) -> list[Row]:
    """Per outlet in the period: articles (and originals), median length, mean tone, the wire-photo share
    (outlets' wire_credit_share, over all its articles) and its five most mentioned names in the period."""
    where, values = filters.on_articles()
    daily_where, daily_values = filters.on_daily()
    return wh.query(f"""
        with volume as (select a.outlet_id, count(*) as articles, count(*) filter (a.duplicate_of is null) as originals,
                               median(a.word_count) as median_words, avg(a.tone) as mean_tone
                        from articles a where {where} group by a.outlet_id order by articles desc limit ?),
        named as (select d.outlet_id, c.canonical_name, sum(d.mentions) as mentions
                  from entity_daily d join entity_catalog c using (entity_id) join volume using (outlet_id)
                  where c.label in ('PERSON', 'ORG', 'GPE', 'LOC', 'FAC') and {daily_where} group by all),
        ranked as (select outlet_id, list(canonical_name order by mentions desc, canonical_name)[1:5] as top_entities
                   from named group by outlet_id)
        select v.outlet_id, coalesce(o.name, v.outlet_id) as name, v.articles, v.originals, v.median_words,
               v.mean_tone, o.wire_credit_share, r.top_entities
        from volume v left join outlets o using (outlet_id) left join ranked r using (outlet_id)
        order by v.articles desc, name""", [*values, limit, *daily_values])


def health(wh: Warehouse) -> dict[str, Any]:
    """Inputs, quarantine by reason, the last run and, once sources are polled, each source's last poll."""
    sources: list[Row] = []
    if wh.has_view("source_health"):
        sources = wh.query("select outlet, kind, url, arg_max(status, polled_at) as status, max(polled_at) as "
                           "last_polled_at, arg_max(new, polled_at) as new, arg_max(fetched, polled_at) as fetched, "
                           "arg_max(error, polled_at) as error, sum(errors) as errors "
                           "from source_health group by all order by outlet, url limit 500")
    return {
        "version": wh.version(),
        "inputs": wh.query("select count(*) as files, sum(articles) as articles, sum(quarantined) as quarantined, "
                           "sum(size_bytes) as bytes, max(processed_at) as last_processed_at, "
                           "count(distinct version) as runs from inputs")[0],
        "last_run": wh.query("select version, count(*) as files, sum(articles) as articles, "
                             "sum(quarantined) as quarantined, max(processed_at) as processed_at from inputs "
                             "group by version order by processed_at desc limit 1"),
        "quarantine": wh.query("select reason, count(*) as records from quarantine group by reason "
                               "order by records desc, reason"),
        "tables": wh.query("select 'articles' as name, count(*) as row_count from articles union all "
                           "select 'entities', count(*) from entities union all "
                           "select 'quotes', count(*) from quotes union all "
                           "select 'stories', count(*) from stories union all "
                           "select 'outlets', count(*) from outlets"),
        "sources": sources,
    }
