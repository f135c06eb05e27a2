"""The web dashboard (``newslake dashboard DIR``): ``server`` answers the pages and their JSON, ``queries`` holds
one DuckDB query per chart, ``reader`` the read-only connection and the per-commit cache, ``static/`` the page.

This module imports the standard library only: the command line checks a warehouse with it before DuckDB loads."""

from __future__ import annotations

from pathlib import Path

DEFAULT_PORT = 8765


def warehouse_problem(out: str) -> str | None:
    """Why ``out`` is not a local warehouse the dashboard can read; None when it is."""
    if "://" in out:
        return "the dashboard reads local warehouses only: newslake export it to a folder first"
    path = Path(out).expanduser()
    if not path.is_dir():
        return "no such folder"
    if not (path / ".newslake" / "CURRENT").is_file() or not (path / "newslake.duckdb").is_file():
        return "not a newslake warehouse (no commit in it yet: newslake run PATH --out DIR makes one)"
    articles = path / "articles"
    if articles.is_dir() and any(p.suffix == ".parquet" for p in articles.iterdir()):  # no month folders
        return f"written by an older newslake: run `newslake run --rebuild --out {out}` once to update it"
    return None
