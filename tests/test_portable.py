"""A warehouse is plain files: moved, copied (cp -r, shutil.copytree, zip), uploaded to an object store or exported,
it reads the same with pandas and the DuckDB CLI, from its new place only; and a BI tool's connection held open
(duckdb-engine's SQLAlchemy URL) keeps working while runs commit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy

from flows.news_pipeline import news_pipeline
from tasks.warehouse import storage
from tasks.warehouse.export import export
from tests.conftest import ROOT, SAMPLES
from tests.test_object_store import s3  # noqa: F401 (the moto S3 fixture)

pytestmark = pytest.mark.usefixtures("prefect_harness")

REGISTRY = str(ROOT / "data" / "outlets.csv")
CLI = shutil.which("duckdb", path=str(Path(sys.executable).parent))
USER_VIEW = "create or replace view long_reads as select article_id from articles where word_count > 100;\n"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, pd.DataFrame]]:
    """A warehouse the real flow wrote from the samples, with a view of the user's, and its articles."""
    out = tmp_path_factory.mktemp("made") / "warehouse"
    out.mkdir()
    (out / storage.USER_VIEWS_FILE).write_text(USER_VIEW)
    news_pipeline(inputs=[str(SAMPLES / "txt"), str(SAMPLES / "html")], out=str(out), outlets_registry=REGISTRY)
    yield out, _sorted(pd.read_parquet(out / "articles"))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("article_id").reset_index(drop=True)


def _duckdb_cli(folder: Path, sql: str) -> list[str]:
    """What the README says: the DuckDB CLI, read-only, from the warehouse's folder."""
    assert CLI, "the duckdb CLI (PyPI duckdb-cli) is installed with the project"
    done = subprocess.run([CLI, "-readonly", "-csv", "-noheader", storage.DUCKDB_FILE, "-c", sql], cwd=folder,
                          capture_output=True, text=True, check=True)
    return done.stdout.split()


def _reads_the_same(folder: Path, articles: pd.DataFrame) -> None:
    assert _sorted(pd.read_parquet(folder / "articles")).equals(articles)
    assert _sorted(storage.read_table(folder, "articles").to_pandas()).equals(articles.drop(columns="month"))
    assert sorted(_duckdb_cli(folder, "select article_id from articles")) == sorted(articles.article_id)
    assert sorted(_duckdb_cli(folder, "select * from long_reads")) == sorted(
        articles.article_id[articles.word_count > 100])


def _gone(original: Path) -> Path:
    """Move the original aside, so that a copy still reading it would fail."""
    aside = original.with_name(original.name + "-aside")
    original.rename(aside)
    return aside


def test_moved_and_copied_warehouses_read_the_same(made: tuple[Path, pd.DataFrame], tmp_path: Path) -> None:
    out, articles = made
    copies = {
        "cp -r": lambda to: subprocess.run(["cp", "-r", str(out), str(to)], check=True),
        "copytree": lambda to: shutil.copytree(out, to),
        "zip": lambda to: shutil.unpack_archive(shutil.make_archive(str(tmp_path / "wh"), "zip", out), to),
        "export": lambda to: export(out, to),
    }
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    for name, copy in copies.items():
        target = tmp_path / name.replace(" ", "")
        copy(target)
        aside = _gone(out)
        try:
            _reads_the_same(target, articles)
            copied = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
            assert copied <= size * 1.05, name  # plain files, each once: no links to follow into a second copy
        finally:
            aside.rename(out)
    moved = tmp_path / "moved"
    shutil.move(out, moved)
    try:
        _reads_the_same(moved, articles)
    finally:
        shutil.move(moved, out)


def test_an_uploaded_warehouse_reads_without_newslake(made: tuple[Path, pd.DataFrame], s3: str) -> None:  # noqa: F811
    out, articles = made
    fs = storage.filesystem(s3)[0]
    fs.put(str(out), f"{s3}/uploaded", recursive=True)  # as `aws s3 sync` or a bucket's web console uploads it
    exported = export(out, f"{s3}/exported")
    for url in (f"{s3}/uploaded", f"{s3}/exported"):
        assert _sorted(pd.read_parquet(f"{url}/articles")).equals(articles), url
        con = duckdb.connect()
        con.register_filesystem(fs)  # DuckDB reads s3:// through fsspec: no extension to fetch
        rows = con.sql(f"select article_id from read_parquet('{url}/articles/*/*.parquet')").fetchall()
        assert sorted(r[0] for r in rows) == sorted(articles.article_id), url
        assert _sorted(storage.read_table(url, "articles").to_pandas()).equals(articles.drop(columns="month")), url
    assert exported.version == storage.current(out).version


def test_a_bi_connection_held_open_across_runs_keeps_working(made: tuple[Path, pd.DataFrame],
                                                             tmp_path: Path) -> None:
    out, articles = made
    target = tmp_path / "wh"
    shutil.copytree(out, target)
    engine = sqlalchemy.create_engine(f"duckdb:///{target / storage.DUCKDB_FILE}", connect_args={
        "read_only": True, "config": {"file_search_path": str(target)}})  # as in the README's Superset steps
    count = sqlalchemy.text("select count(*) from articles")
    with engine.connect() as con:
        assert con.execute(count).scalar() == len(articles)
        news_pipeline(inputs=[str(SAMPLES / "jsonl")], out=str(target), outlets_registry=REGISTRY)
        assert con.execute(count).scalar() == len(pd.read_parquet(target / "articles")) > len(articles)
        assert con.execute(sqlalchemy.text("select count(*) from long_reads")).scalar() >= 1  # the user's view
