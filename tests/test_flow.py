"""End to end: the real Prefect flow, the real model, real Parquet files."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from flows import cli
from flows.news_pipeline import news_pipeline
from flows.report import RunSummary
from flows.scheduling import file_batches
from tasks.names import NAME_LABELS, entity_key
from tasks.warehouse import storage
from tasks.warehouse.manifest import InputFile
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.usefixtures("prefect_harness")

REGISTRY = ROOT / "data" / "outlets.csv"
INTERNEWSCAST = "internewscast_kim_memorial.txt"
FOX = "foxnews_kim_memorial.txt"


def _read(out: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(out / table)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunSummary]:
    out = tmp_path_factory.mktemp("warehouse")
    return out, news_pipeline(inputs=[str(SAMPLES)], out=str(out), outlets_registry=str(REGISTRY))


def test_samples_give_every_table(sample_run: tuple[Path, RunSummary]) -> None:
    out, summary = sample_run
    n_inputs = len(list((SAMPLES / "txt").glob("*"))) + len(list((SAMPLES / "html").glob("*")))
    assert summary.articles_in_run >= n_inputs + 4  # every JSON record too
    for table, rows in summary.tables.items():
        assert len(_read(out, table)) == rows
    assert summary.quarantined == {}
    assert set(summary.stage_seconds) == {"start", "ingest", "clean", "nlp", "write", "merge", "aggregate", "commit"}
    assert set(summary.stage_peak_rss_mb) == set(summary.stage_seconds)
    assert all(mb > 100 for mb in summary.stage_peak_rss_mb.values())  # MB, with the model loaded: not KiB, not GB
    articles = _read(out, "articles")
    assert articles["article_id"].is_unique
    assert set(articles["source_format"]) == {"txt", "html", "json"}
    assert (articles["sentence_count"] > 0).all() and (articles["word_count"] > 0).all()
    assert articles.loc[articles.source_uri.str.endswith("feed.jsonl#1"), "source_id"].item() == "hw-1001"
    outlets = _read(out, "outlets")
    assert outlets["article_count"].sum() == len(articles) and set(outlets.outlet_id) == set(articles.outlet_id)
    assert outlets.set_index("name").loc["The Daily Ledger", "article_count"] == 3  # "Daily Ledger" alias folded
    cli = shutil.which("duckdb", path=str(Path(sys.executable).parent))
    assert cli
    shown = subprocess.run([cli, "-readonly", "newslake.duckdb", "select count(*) as n from entity_daily"],
                           cwd=out, capture_output=True, text=True, check=True).stdout
    assert str(len(_read(out, "entity_daily"))) in shown


def test_seed_bodies_match_the_gold(sample_run: tuple[Path, RunSummary], seeds_gold: dict) -> None:  # type: ignore[type-arg]
    articles = _read(sample_run[0], "articles")
    for name in (INTERNEWSCAST, FOX):
        row = articles[articles.source_uri.str.endswith(name)].iloc[0]
        paragraphs = row.text.split("\n\n")
        assert paragraphs == [p.strip() for p in seeds_gold[name]["body_paragraphs"]]
        for example in seeds_gold[name]["boilerplate_examples"].values():
            assert example not in row.text
        assert list(row.image_credits) == seeds_gold[name]["image_credits"]
    inc = articles[articles.source_uri.str.endswith(INTERNEWSCAST)].iloc[0]
    for boilerplate in ("Credit:", "Share this", "You May Also Like"):
        assert boilerplate not in inc.text


def test_seeds_are_one_story_across_outlets(sample_run: tuple[Path, RunSummary]) -> None:
    out = sample_run[0]
    articles, stories = _read(out, "articles"), _read(out, "stories")
    seeds = articles[articles.source_uri.str.endswith((FOX, INTERNEWSCAST))]
    assert seeds.story_id.nunique() == 1 and seeds.outlet_id.nunique() == 2
    story = stories.set_index("story_id").loc[seeds.story_id.iloc[0]]
    assert story.outlet_count >= 2 and "Kim Jong Un" in list(story.top_entities)
    assert stories.article_count.sum() == len(articles) and set(stories.story_id) == set(articles.story_id)


def test_fox_article_metadata(sample_run: tuple[Path, RunSummary], seeds_gold: dict) -> None:  # type: ignore[type-arg]
    out = sample_run[0]
    articles, outlets = _read(out, "articles"), _read(out, "outlets")
    fox = articles[articles.source_uri.str.endswith(FOX)].iloc[0]
    gold = seeds_gold[FOX]
    assert fox.title == gold["title"]
    assert list(fox.authors) == [gold["author"]]
    assert outlets.set_index("outlet_id").loc[fox.outlet_id, "name"] == gold["outlet_name"]
    inc = articles[articles.source_uri.str.endswith(INTERNEWSCAST)].iloc[0]
    assert outlets.set_index("outlet_id").loc[inc.outlet_id, "domain"] == "internewscast.com"


def test_kim_jong_un_variants_are_one_entity(sample_run: tuple[Path, RunSummary]) -> None:
    entities = _read(sample_run[0], "entities")
    kim = entities[entities.text.map(entity_key) == "kim jong un"]
    assert {"Kim Jong-un", "KIM Jong-un", "Kim Jong Un"} <= set(kim.text)
    assert kim.entity_id.nunique() == 1 and kim.canonical_name.nunique() == 1
    short = entities[entities.text == "Kim"]  # "Kim" and "Kim’s" in articles that name Kim Jong Un in full
    texts = _read(sample_run[0], "articles").set_index("article_id").text
    possessive = [r for r in short.itertuples() if texts[r.article_id][r.char_end : r.char_end + 2] == "’s"]
    assert len(short) >= 8 and possessive and set(short.entity_id) == set(kim.entity_id)
    assert entities[entities.text.str.startswith("KIM")].entity_id.isin(kim.entity_id).all()


def test_seed_entities_merge_lyubimova_and_never_come_from_captions(sample_run: tuple[Path, RunSummary]) -> None:
    out = sample_run[0]
    entities, catalog = _read(out, "entities"), _read(out, "entity_catalog")
    olga = entities[entities.text.isin(["Olga Lyubimova", "Olga Lyubimov"])]
    assert set(olga.text) == {"Olga Lyubimova", "Olga Lyubimov"} and olga.entity_id.nunique() == 1
    row = catalog.set_index("entity_id").loc[olga.entity_id.iloc[0]]
    assert row.canonical_name == "Olga Lyubimova" and list(row.aliases) == ["Olga Lyubimov"]
    # Kim Ju-ae and the credits appear only in the seeds' captions, which the clean stage removes
    assert not entities.text.str.contains("Ju-ae|Credit|Reuters|AFP|EPA").any()
    named = entities[entities.label.isin(NAME_LABELS)]
    assert catalog.mention_count.sum() == len(named) < len(entities)  # dates and numbers stay out of the catalog


def test_hong_min_quote_is_attributed(sample_run: tuple[Path, RunSummary]) -> None:
    quotes = _read(sample_run[0], "quotes")
    [row] = quotes[quotes.text == "victory narrative"].itertuples()
    assert row.speaker_name == "Hong Min"
    entities = _read(sample_run[0], "entities")
    speaker = entities[(entities.article_id == row.article_id) & (entities.char_start == row.speaker_char_start)]
    assert speaker.text.item() == "Hong Min" and speaker.entity_id.item() == row.speaker_entity_id


def test_tone_reaches_articles_trends_outlets_and_stories(sample_run: tuple[Path, RunSummary]) -> None:
    """Every figure of tone agrees with the sentences it comes from, recomputed here by DuckDB."""
    out = sample_run[0]
    with storage.open_duckdb(out) as con:
        assert con.sql("select count(*) from sentences where tone is null").fetchone() == (0,)
        [(off,)] = con.sql("""select count(*) from articles a join (select article_id, avg(tone) as mean
                              from sentences group by all) s using (article_id)
                              where abs(a.tone - s.mean) > 1e-6""").fetchall()
        assert off == 0
        daily = con.sql("""select d.entity_id, d.outlet_id, d.day, d.tone, x.tone as recomputed from entity_daily d
                           join (select e.entity_id, a.outlet_id, avg(s.tone) as tone,
                                        cast(a.published_at at time zone 'UTC' as date) as day
                                 from (select distinct entity_id, article_id, sentence_index from entities
                                       where label in ('PERSON', 'ORG', 'GPE', 'LOC', 'NORP', 'FAC', 'EVENT',
                                                       'WORK_OF_ART', 'LAW', 'PRODUCT')) e
                                 join sentences s using (article_id, sentence_index)
                                 join articles a using (article_id) group by all) x
                           using (entity_id, outlet_id, day)""").fetchall()
        assert daily and all(abs(row[3] - row[4]) < 1e-6 for row in daily)
        assert con.sql("select count(*) from outlets where mean_tone is null").fetchone() == (0,)
        assert con.sql("select count(*) from stories where mean_tone between -1 and 1").fetchone()[0] >= 1


def test_offsets_index_the_article_text(sample_run: tuple[Path, RunSummary]) -> None:
    out = sample_run[0]
    text = _read(out, "articles").set_index("article_id")["text"]
    for table in ("sentences", "entities", "quotes"):
        for row in _read(out, table).itertuples():
            assert text[row.article_id][row.char_start:row.char_end] == row.text
    sentences = _read(out, "sentences")
    assert not sentences.text.str.contains("\n").any()
    assert not sentences.duplicated(["article_id", "sentence_index"]).any()


def test_rerun_over_unchanged_inputs_does_no_work_and_adds_nothing(sample_run: tuple[Path, RunSummary],
                                                                   tmp_path: Path) -> None:
    first_out, first = sample_run
    shutil.copytree(first_out, tmp_path / "w", symlinks=True)
    second = news_pipeline(inputs=[str(SAMPLES)], out=str(tmp_path / "w"), outlets_registry=str(REGISTRY))
    assert second.version is None and second.files_processed == 0 and second.articles_in_run == 0
    assert second.files_unchanged == first.files_processed and set(second.added.values()) == {0}
    for table, key in [("articles", ["article_id"]), ("sentences", ["article_id", "sentence_index"]),
                       ("entities", ["article_id", "char_start", "char_end"]), ("outlets", ["outlet_id"]),
                       ("quotes", ["article_id", "char_start"]), ("entity_catalog", ["entity_id"]),
                       ("stories", ["story_id"]), ("entity_pairs", ["entity_a", "entity_b", "month"])]:
        before, after = _read(first_out, table), _read(tmp_path / "w", table)
        assert not after.duplicated(key).any(), table
        assert sorted(map(tuple, after[key].values)) == sorted(map(tuple, before[key].values)), table


def test_bad_inputs_are_quarantined_and_good_ones_land(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SAMPLES / "txt" / FOX, inputs / FOX)
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "photo.html").write_bytes(bytes(range(256)) * 16)
    (inputs / "feed.jsonl").write_text('{"id": "a", "text": "A short report from Berlin about the budget talks."}\n'
                                       '{"id": "b", "text": "broken\n', encoding="utf-8")
    (inputs / "trunc.jsonl.gz").write_bytes(gzip.compress(b'{"text": "x"}\n' * 50)[:20])
    summary = news_pipeline(inputs=[str(inputs)], out=str(tmp_path / "w"))
    articles = _read(tmp_path / "w", "articles")
    assert len(articles) == 2 and summary.articles_in_run == 2
    quarantine = _read(tmp_path / "w", "quarantine")
    by_input = {Path(u).name: r for u, r in zip(quarantine.source_uri, quarantine.reason, strict=True)}
    assert by_input == {"empty.txt": "empty", "photo.html": "binary", "feed.jsonl#2": "invalid_json",
                        "trunc.jsonl.gz": "gzip_error"}
    assert quarantine.detail.str.len().min() > 5
    assert summary.quarantined == {"empty": 1, "binary": 1, "invalid_json": 1, "gzip_error": 1}


def test_syndicated_copy_is_marked_duplicate_of(tmp_path: Path) -> None:
    seed = (SAMPLES / "txt" / FOX).read_text(encoding="utf-8")
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / FOX).write_text(seed, encoding="utf-8")
    original = news_pipeline(inputs=[str(inputs)], out=str(tmp_path / "w"))
    assert original.articles_in_run == 1
    body = _read(tmp_path / "w", "articles").text.item()
    text = body.replace("Footage aired", "State footage aired", 1) + "\n\nThis story was syndicated from Fox News."
    copy = {"id": "syn-1", "url": "https://partner.example/world/kim-tears", "source": "Partner Daily", "text": text}
    (inputs / "partner.jsonl").write_text(json.dumps(copy) + "\n", encoding="utf-8")
    news_pipeline(inputs=[str(inputs)], out=str(tmp_path / "w"))
    articles = _read(tmp_path / "w", "articles").set_index("source_id", drop=False)
    fox_id = articles[articles.source_uri.str.endswith(FOX)].article_id.item()
    assert articles.loc["syn-1", "duplicate_of"] == fox_id and articles.loc["syn-1", "duplicate_kind"] == "near"
    assert articles.duplicate_of.isna().sum() == 1
    daily = _read(tmp_path / "w", "entity_daily")
    assert (daily.mentions >= daily.mentions_excl_duplicates).all() and daily.mentions_excl_duplicates.sum() > 0


def test_cli_run_on_the_seeds_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = [str(p) for p in sorted((SAMPLES / "txt").glob("*.txt"))]
    assert cli.main(["run", *seeds, "--out", str(tmp_path / "w"), "--batch-size", "1"]) == 0
    printed = capsys.readouterr().out
    assert "articles" in printed and "quarantined inputs by reason: none" in printed
    entities = _read(tmp_path / "w", "entities")
    assert len(entities) > 20 and entities.article_id.nunique() == 2


def test_unknown_json_field_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown json_fields"):
        news_pipeline(inputs=[str(SAMPLES)], out=str(tmp_path), json_fields={"bodytext": "x"})


FRENCH_DUMPS = {  # the seeds' shape: a topic line, the headline, a byline, the body, a photo caption
    "fr-1.txt": "Europe\n\nEmmanuel Macron reçoit le chancelier allemand à l'Élysée\n\nPar Claire Dubois, "
                "Le Courrier du Port\nPublié le 3 mars 2025\n\nLe président Emmanuel Macron a reçu mardi le "
                "chancelier Olaf Scholz à Paris pour préparer le prochain sommet européen. Macron a promis une "
                "position commune sur l'énergie.\n\nLes deux dirigeants ont parlé pendant trois heures, selon "
                "l'Élysée.\n\nEmmanuel Macron et Olaf Scholz à Paris. (Photo : Le Courrier du Port)\n",
    "fr-2.txt": "Politique\n\nLe président défend sa réforme devant les maires\n\nPar Luc Martin, Le Courrier du "
                "Port\nPublié le 5 mars 2025\n\nDevant les maires réunis à Lyon, Emmanuel Macron a défendu jeudi "
                "sa réforme des retraites. Macron a reconnu des inquiétudes mais a refusé de reculer.\n",
}


def test_other_languages_are_kept_counted_and_read_by_their_own_model(tmp_path: Path) -> None:
    records = [
        {"id": "de-1", "source": "Hafenblatt", "text": "Die Hafenbehörde hat am Montag in Hamburg eine neue Fährlinie "
         "nach Helsinki eröffnet. Bürgermeister Peter Tschentscher sprach von einem großen Tag für die Stadt und "
         "kündigte weitere Verbindungen in den kommenden Jahren an."},
        {"id": "en-1", "source": "Harbor Tribune", "text": "The harbour authority opened a ferry line from Hamburg to "
         "Helsinki on Monday. Mayor Peter Tschentscher called it a great day for the city. President Emmanuel "
         "Macron of France sent his congratulations."},
    ]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    for name, text in FRENCH_DUMPS.items():
        (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    summary = news_pipeline(inputs=[str(tmp_path / "in")], out=str(tmp_path / "w"))
    assert summary.languages == {"de": 1, "en": 1, "fr": 2} and summary.quarantined == {}
    articles = _read(tmp_path / "w", "articles").set_index("source_uri")
    german = articles[articles.index.str.endswith("#1")].iloc[0]
    assert german.language == "de" and german.sentence_count >= 2  # no German model: sentences, no entities
    entities = _read(tmp_path / "w", "entities").merge(articles.reset_index()[["article_id", "language"]])
    assert "de" not in set(entities.language)
    macron = entities[entities.text.isin(["Emmanuel Macron", "Macron"])]
    assert set(macron.language) == {"en", "fr"} and macron.entity_id.nunique() == 1  # one man, in both languages
    assert set(macron.label) == {"PERSON"} and len(macron[macron.language == "fr"].article_id.unique()) == 2
    places = entities[entities.text.isin(["Paris", "Lyon"])]
    assert set(places.label) == {"GPE"}  # the French model's LOC, as the English model names cities


def test_ingest_batches_are_bounded_by_files_and_bytes() -> None:
    files = [InputFile(f"/in/{n}.jsonl", size, 0, "") for n, size in enumerate([10, 10, 25, 100, 1, 1, 1])]
    batches = [[p.name for p in batch] for batch in file_batches(files, max_files=2, max_bytes=30)]
    assert batches == [["0.jsonl", "1.jsonl"], ["2.jsonl"], ["3.jsonl"], ["4.jsonl", "5.jsonl"], ["6.jsonl"]]


def test_detail_rows_sit_in_their_articles_month_and_a_month_filter_reads_that_month_only(
        sample_run: tuple[Path, RunSummary]) -> None:
    out, _ = sample_run
    articles = _read(out, "articles")
    months = dict(zip(articles.article_id, articles.month.astype(str), strict=True))
    assert len(set(months.values())) >= 2  # the samples span several months (and some have no date)
    expected = articles.published_at.dt.strftime("%Y-%m").fillna("undated")
    assert (articles.month.astype(str) == expected).all()
    for table in ("sentences", "entities", "quotes"):
        rows = _read(out, table)
        assert (rows.month.astype(str) == rows.article_id.map(months)).all(), table
    busiest = articles.month.astype(str).value_counts().index[0]
    con = storage.open_duckdb(out)
    try:
        plan = "\n".join(str(r[-1]) for r in con.execute(
            "explain analyze select count(*) from entities where month = ?", [busiest]).fetchall())
        total = con.sql("select count(distinct month) from entities").fetchone()
    finally:
        con.close()
    assert total is not None and f"Scanning Files: 1/{total[0]}" in plan  # one part per month here


def test_places_and_country_counts_agree_with_entities(sample_run: tuple[Path, RunSummary]) -> None:
    out, _ = sample_run
    places, entities = _read(out, "places"), _read(out, "entities")
    assert len(places) and places["entity_id"].is_unique
    assert set(places["entity_id"]) <= set(entities["entity_id"])
    assert set(entities.loc[entities["label"].isin(["GPE", "LOC", "FAC"]), "entity_id"]) <= set(places["entity_id"])
    resolved = places.dropna(subset=["latitude"])
    assert len(resolved) and resolved["resolved_by"].ne("no candidate").all()
    assert places.loc[places["latitude"].isna(), "resolved_by"].eq("no candidate").all()
    daily = _read(out, "place_country_daily")
    counted = entities.merge(resolved.dropna(subset=["country_code"])[["entity_id", "country_code"]], on="entity_id")
    assert daily["mentions"].sum() == len(counted)
    assert set(daily["country_code"]) == set(counted["country_code"])
