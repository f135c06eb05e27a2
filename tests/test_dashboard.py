"""``newslake dashboard``: the real server on 127.0.0.1 over a warehouse a real flow run built from data/samples
(the seeds and the demo's own articles), its JSON checked against DuckDB queries written here, and every page
opened in headless Chromium (Debian's package, ``make browser``; driven through Playwright)."""

from __future__ import annotations

import json
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.cli import main
from flows.news_pipeline import news_pipeline
from tasks.dashboard.geometry import countries_geojson, signed_area
from tasks.dashboard.server import PAGES, make_server
from tasks.warehouse import storage
from tasks.warehouse.version_record import decode_manifest, encode_manifest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
REGISTRY = ROOT / "data" / "outlets.csv"
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dashboard") / "warehouse"
    news_pipeline(inputs=[str(SAMPLES)], out=str(out), outlets_registry=str(REGISTRY))
    return out


def _serve(out: Path) -> Iterator[str]:
    server = make_server(out, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def dashboard(warehouse: Path) -> Iterator[str]:
    yield from _serve(warehouse)


def fetch(base: str, path: str) -> Any:
    with urllib.request.urlopen(base + path, timeout=30) as answer:
        return json.loads(answer.read())


def independent(out: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = storage.open_duckdb(out)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_a_folder_that_is_not_a_warehouse_is_one_line_and_status_2(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    for folder in (tmp_path / "missing", tmp_path):
        with pytest.raises(SystemExit) as stop:
            main(["dashboard", str(folder)])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("newslake: error: dashboard ") and err.count("\n") == 1


def test_a_warehouse_from_before_month_partitions_is_told_to_rebuild(warehouse: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old"
    shutil.copytree(warehouse, old)
    for part in (old / "articles").rglob("*.parquet"):  # parts at the top of the folder, as before partitions
        part.rename(old / "articles" / part.name)
    version, tables, _ = decode_manifest((old / storage.STATE_DIR / storage.CURRENT_FILE).read_bytes())
    tables["articles"] = tuple(name.rsplit("/", 1)[-1] for name in tables["articles"])
    (old / storage.STATE_DIR / storage.CURRENT_FILE).write_bytes(encode_manifest(version, tables))
    with pytest.raises(SystemExit) as stop:
        main(["dashboard", str(old)])
    assert stop.value.code == 2 and f"newslake run --rebuild --out {old}" in capsys.readouterr().err


def test_attention_agrees_with_the_mentions_table(warehouse: Path, dashboard: str) -> None:
    kim = fetch(dashboard, "/api/search?q=kim%20jong")
    assert [e["canonical_name"] for e in kim][:1] == ["Kim Jong Un"]
    kim_id = kim[0]["entity_id"]
    answer = fetch(dashboard, f"/api/attention?entities={kim_id}")
    assert [e["canonical_name"] for e in answer["entities"]] == ["Kim Jong Un"]
    assert answer["bucket"] == "day"  # the demo's week of articles
    charted = {(r["day"], r["mentions"], r["mentions_excl_duplicates"]) for r in answer["rows"] if r["mentions"]}
    days = sorted(r["day"] for r in answer["rows"] if r["day"])  # a point for every day, zero where none
    every_day = "select unnest(generate_series(min(day), max(day), interval 1 day))::date from entity_daily"
    assert days == [d.isoformat() for (d,) in independent(warehouse, every_day)]
    # counted here from the mentions themselves, not from entity_daily as the dashboard does
    expected = independent(warehouse, """
        select cast(timezone('UTC', a.published_at) as date)::varchar, count(*),
               count(*) filter (a.duplicate_of is null)
        from entities e join articles a using (article_id) where e.entity_id = ? group by 1""", [kim_id])
    assert charted == set(expected)
    assert any(day for day, _, _ in charted)  # the demo's dated article puts a point on the chart


def test_top_people_and_outlets_agree_with_the_tables(warehouse: Path, dashboard: str) -> None:
    outlet = independent(warehouse, "select outlet_id from articles group by 1 order by count(*) desc, 1 limit 1")[0][0]
    people = fetch(dashboard, f"/api/top_entities?outlet={outlet}")["people"]
    expected = independent(warehouse, """
        select c.canonical_name, count(*) from entities e join articles a using (article_id)
        join entity_catalog c using (entity_id) where c.label = 'PERSON' and a.outlet_id = ? group by 1""", [outlet])
    assert {(p["canonical_name"], p["mentions"]) for p in people} == set(expected)
    outlets = fetch(dashboard, "/api/outlets?from=2025-06-29&to=2025-07-02")
    expected = independent(warehouse, """
        select outlet_id, count(*), median(word_count), round(avg(tone), 6) from articles
        where cast(timezone('UTC', published_at) as date) between '2025-06-29' and '2025-07-02' group by 1""")
    assert {(o["outlet_id"], o["articles"], o["median_words"], round(o["mean_tone"], 6)) for o in outlets} == set(
        expected)


def test_stories_quotes_and_health_agree_with_the_tables(warehouse: Path, dashboard: str) -> None:
    stories = fetch(dashboard, "/api/stories")
    assert {(s["story_id"], s["outlet_count"]) for s in stories} == set(
        independent(warehouse, "select story_id, count(distinct outlet_id) from articles group by 1"))
    speakers = fetch(dashboard, "/api/quotes")["speakers"]
    assert {(s["speaker_name"], s["quotes"]) for s in speakers} == set(
        independent(warehouse, "select speaker_name, count(*) from quotes where speaker_entity_id is not null "
                               "group by 1"))
    health = fetch(dashboard, "/api/health")
    assert health["inputs"]["files"] == independent(warehouse, "select count(*) from inputs")[0][0]
    assert health["version"] == storage.current(warehouse).version


def test_a_bad_date_is_a_400_with_the_reason(dashboard: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as bad:
        fetch(dashboard, "/api/stories?from=yesterday")
    assert bad.value.code == 400 and "YYYY-MM-DD" in json.loads(bad.value.read())["error"]


def test_a_new_commit_shows_on_reload(warehouse: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(warehouse, copy)
    served = _serve(copy)
    base = next(served)
    try:
        before = fetch(base, "/api/meta")["version"]
        assert fetch(base, "/api/search?q=Quellmann") == []
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        (inbox / "ferry.txt").write_text("Ferry line to Lakeside reopens\n\nThe ferry line to Lakeside reopened on "
                                         "Monday, said harbour master Jonas Quellmann. Jonas Quellmann said the new "
                                         "pier was finished a week early.\n", encoding="utf-8")
        # a poll's line as gather writes it: the commit then adds the source_health view the health page reads
        (copy / "raw").mkdir(exist_ok=True)
        (copy / "raw" / "health.jsonl").write_text(json.dumps({
            "polled_at": "2025-07-05T08:00:00Z", "outlet": "Harbor Tribune", "kind": "feed", "status": 0, "seen": 0,
            "url": "https://harbortribune.example/feed", "new": 0, "fetched": 0, "errors": 1, "error": "timed out"}
        ) + "\n", encoding="utf-8")
        assert fetch(base, "/api/health")["sources"] == []
        news_pipeline(inputs=[str(inbox)], out=str(copy), outlets_registry=str(REGISTRY))
        assert fetch(base, "/api/meta")["version"] != before
        assert [e["canonical_name"] for e in fetch(base, "/api/search?q=Quellmann")] == ["Jonas Quellmann"]
        [source] = fetch(base, "/api/health")["sources"]
        assert (source["outlet"], source["status"], source["error"]) == ("Harbor Tribune", 0, "timed out")
    finally:
        served.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium: `make browser` installs it (as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright: make setup installs it")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


CHART_POINTS = ("[...document.querySelectorAll('.chart')].map(c => c.data.reduce("
                "(n, t) => n + (t.x || t.locations || []).length, 0))")


def test_every_page_shows_charts_with_points_and_names(dashboard: str, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    names = {"trends": "Kim Jong Un", "entities": "Elena Brandt", "map": "North Korea", "stories": "Harbor Tribune",
             "quotes": "Hong Min",
             "outlets": "The Daily Ledger", "health": "articles"}
    for name in PAGES:
        page.goto(f"{dashboard}/{name}")
        page.wait_for_selector("body[data-ready]")
        points = page.evaluate(CHART_POINTS)
        assert points and all(points), f"{name}: a chart without data points: {points}"
        assert names[name] in page.inner_text("main"), name
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    assert not errors


def test_search_finds_kim_jong_un_and_charts_him(dashboard: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{dashboard}/trends")
    page.wait_for_selector("body[data-ready]")
    page.fill("#entity-search", "Kim Jong")
    page.click("#suggestions button:has-text('Kim Jong Un')")
    page.wait_for_selector("body[data-ready]")
    assert "entities=" in page.url
    traces = page.evaluate("document.querySelector('.chart').data.map(t => t.name)")
    assert "Kim Jong Un" in traces and "Kim Jong Un without duplicates" in traces


def test_filters_carry_across_pages(warehouse: Path, dashboard: str, browser: Any) -> None:
    outlet, name = independent(warehouse, "select outlet_id, name from outlets where name = 'The Daily Ledger'")[0]
    page = browser.new_page()
    page.goto(f"{dashboard}/entities?from=2025-07-01&to=2025-07-04&outlet={outlet}")
    page.wait_for_selector("body[data-ready]")
    with page.expect_navigation():
        page.click("nav a[data-page=stories]")
    page.wait_for_selector("body[data-ready]")
    assert "/stories?" in page.url and f"outlet={outlet}" in page.url and "from=2025-07-01" in page.url
    assert page.input_value("select[name=outlet]") == outlet
    rows = page.eval_on_selector_all("main table tr td:nth-child(2)", "cells => cells.map(c => c.textContent)")
    assert rows and all(name in outlets for outlets in rows)


def test_the_map_counts_agree_with_the_places_and_draw_without_leaving_127_0_0_1(warehouse: Path, dashboard: str,
                                                                                 browser: Any) -> None:
    outlet = independent(warehouse, "select outlet_id from place_country_daily group by 1 "
                                    "order by sum(articles) desc, 1 limit 1")[0][0]
    # counted here from the mentions and the resolved places, not from place_country_daily as the dashboard does
    expected = independent(warehouse, """
        select p.country_code, count(distinct e.article_id), count(*) from entities e
        join places p using (entity_id) join articles a using (article_id)
        where p.country_code is not null and a.outlet_id = ? group by 1""", [outlet])
    answer = fetch(dashboard, f"/api/countries?outlet={outlet}")
    assert {(c["country_code"], c["articles"], c["mentions"]) for c in answer} == set(expected) and expected
    assert fetch(dashboard, "/api/countries?from=2025-07-01&to=2025-07-01") == [
        {"country_code": cc, "articles": a, "mentions": m} for cc, a, m in independent(warehouse, """
            select country_code, sum(articles), sum(mentions) from place_country_daily where day = '2025-07-01'
            group by 1 order by 2 desc, 3 desc, 1""")]
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{dashboard}/map?outlet={outlet}")
    page.wait_for_selector("body[data-ready]")
    drawn = page.evaluate("document.querySelectorAll('.chart.map path.choroplethlocation').length")
    shaded = page.evaluate("document.querySelector('.chart.map').data[1].locations")
    assert drawn > 100  # every country's outline (the grey base), then the counted ones over it
    assert set(shaded) <= {cc for cc, _, _ in expected} and shaded
    assert requests and all(url.startswith(dashboard + "/") for url in requests), requests
    assert "/static/countries.geojson" in {url.removeprefix(dashboard) for url in requests}


def test_the_maps_outlines_are_wound_as_plotly_draws_them() -> None:
    features = json.loads(countries_geojson())["features"]
    assert len(features) > 150 and {"US", "KP", "RU", "FR"} <= {f["id"] for f in features}
    polygons = [p for f in features for p in f["geometry"]["coordinates"]]
    # an outer ring anticlockwise would be the rest of the globe to d3-geo: the whole map painted one colour
    assert all(signed_area(p[0]) < 0 for p in polygons)
    assert all(signed_area(hole) > 0 for p in polygons for hole in p[1:])
