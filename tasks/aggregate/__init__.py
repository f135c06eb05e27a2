"""Aggregate: what is derived from the merged detail tables, consistent with them after every run: the months of
``entities``, ``quotes``, ``entity_daily``, ``entity_pairs`` and ``place_evidence`` a run changes are written again,
the others carried over (``months``); the rest is rebuilt over the whole warehouse. This stage alone assigns what
needs the whole warehouse (the columns of ``schemas.ASSIGNED_BY_AGGREGATE``): outlet, duplicate and story marks on
articles (``articles``), merged entity ids and canonical names on mentions and the speakers of quotes
(``entities``); then it derives entity trends (``trends``), the entity catalog and outlets' top entities from them
and the name index (``entities``), outlets (``outlets``) and stories (``stories``), computed by DuckDB (``sql``) over
those parts; last the places they name, resolved against an offline
gazetteer (``places``) from the evidence of their articles, counted a month at a time (``place_evidence``), and
their counts per country (``place_counts``)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from prefect import task
from prefect.cache_policies import NONE

from tasks.aggregate import catalog, entities, entity_outlets, labels, months, place_tables, sql, stories, trends
from tasks.aggregate.articles import facts as article_facts
from tasks.aggregate.articles import write_articles
from tasks.aggregate.catalog import top_entities
from tasks.aggregate.mentions import write_entities
from tasks.aggregate.outlets import Registry, build_outlets, changed_outlets
from tasks.schemas import ARTICLES, ENTITY_NAMES, ENTITY_OUTLETS

if TYPE_CHECKING:
    from tasks.warehouse import Merged


def aggregate(merged: Merged, registry: Registry, rebuild: bool = False) -> None:
    """Write the derived tables of ``merged``'s version, reading the warehouse a batch (or a month) at a time:
    articles with outlet, duplicate and story marks, entities with merged ids and canonical names, quotes with
    speakers, then trends, the catalog, outlets, stories and places. A run writes again the months it changed and
    carries the others (``months``; every month with ``rebuild``)."""
    commit = merged.commit
    touched = None if rebuild else months.touched(merged)  # the months the run added or removed articles in
    marked = write_articles(merged, registry, touched)
    remarked = marked.copies  # months where a stored article's outlet or original changed
    published = labels.published(merged.base)  # what the label vote holds to (the run's and the catalog's)
    rewrite = write_entities(merged, touched, published)
    facts = functools.partial(article_facts, commit)  # read by stories and places, in the months they need
    # the months whose quotes get their speakers again; in the other months named, the speakers' new names
    entities.write_quotes(merged, *months.carry_named(merged, "quotes", rewrite,
                                                      {"speaker_name": "speaker_entity_id"}))
    daily = months.carry(merged, "entity_daily", months.union(rewrite.moved, remarked))
    trends.write_daily(commit, daily)
    entity_outlets.write(merged, daily)
    trends.write_pairs(commit, *months.carry_named(merged, "entity_pairs", rewrite,
                                                   {"name_a": "entity_a", "name_b": "entity_b"}))
    counted = {"entity_outlets": sql.Parquet(commit.urls("entity_outlets"), ENTITY_OUTLETS),
               "entity_names": sql.Parquet(commit.urls("entity_names"), ENTITY_NAMES)}
    fs = commit.sql_filesystem
    with sql.connect(fs, earlier=published, **counted) as con:  # a connection per query: DuckDB keeps what a
        commit.writer("entity_catalog").write_all(catalog.catalog_batches(con)).close()  # query used until closed
    with sql.connect(fs, **counted, articles=sql.Parquet(commit.urls("articles"), ARTICLES)) as con:
        outlets = build_outlets(sql.on_every_core(con), registry, top_entities(con, "outlet_id"))  # a row per outlet
    commit.write("outlets", outlets)
    # the months whose stories are built again: clustered again, a mention changed entity or name, or an outlet
    # renamed has articles there (all of them when none is stored)
    changed = changed_outlets(merged.base, outlets, "name", "country")
    renamed = changed["name"]
    recount = None if renamed is None or not merged.base.parts("stories") else months.union(
        rewrite.named, marked.stories)
    if recount is not None and renamed:  # a story lies in one month: those of the renamed outlets' stored articles
        recount = months.union(recount, marked.months_of(renamed))  # (the run's are in months clustered again)
    by_month = stories.month_local(marked.articles)  # each story then lies in one month
    top = catalog.story_top_entities(commit, recount, by_month=by_month)
    stories.write_stories(merged, facts, outlets, recount, top, by_month)
    moved = changed["country"] is None or bool(changed["country"])  # every month's place evidence changes
    place_tables.write_places(merged, None if moved else months.union(rewrite.touched, remarked), rewrite.changed,
                              (facts, outlets),
                              None if moved else months.union(rewrite.moved, remarked))


@task(name="aggregate", cache_policy=NONE)
def aggregate_task(merged: Merged, registry: Registry, rebuild: bool = False) -> None:
    aggregate(merged, registry, rebuild)

