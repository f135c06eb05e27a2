"""Shared fixtures. Prefect and pyarrow read their settings at import, so the environment is set before anything
imports them."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flows.cli import set_environment_defaults

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
set_environment_defaults()  # as the newslake command sets them

import pyarrow as pa  # noqa: E402 (after the environment: see the module's docstring)
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Fuzz tests: 150 examples each in CI; HYPOTHESIS_PROFILE=thorough for a long hunt.
settings.register_profile("ci", max_examples=150)
settings.register_profile("thorough", max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def prefect_harness():  # type: ignore[no-untyped-def]
    """One Prefect test server for the whole session (starting one costs ~13 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def seeds_gold() -> dict:  # type: ignore[type-arg]
    return json.loads((FIXTURES / "seeds_gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((SAMPLES / "txt").glob("*.txt"))}


RUN_COLUMNS = {"ingested_at", "processed_at", "version"}  # when and in which commit a row was written


def comparable_tables(out: str | Path) -> dict[str, pa.Table]:
    """Every table of a warehouse without the columns that say when it was written, rows in a canonical order:
    two runs over the same inputs must give equal ones, however and wherever they ran."""
    from tasks.schemas import TABLES
    from tasks.warehouse import storage

    tables = {}
    for name in TABLES:
        table = storage.read_table(out, name)
        table = table.drop_columns([c for c in table.column_names if c in RUN_COLUMNS])
        keys = [c for c in table.column_names if pa.types.is_string(table.schema.field(c).type)
                or pa.types.is_integer(table.schema.field(c).type)]
        tables[name] = table.sort_by([(c, "ascending") for c in keys])
    return tables



_checked_until = [0.0]  # commits before this time were checked after an earlier test


@pytest.fixture(autouse=True)
def warehouses_stay_consistent(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """After every test, every local warehouse committed since the last check (by the test or by a fixture set up
    for it) passes tasks.warehouse.invariants: each article is provided by an input of the manifest, the manifest's
    counts agree with the tables, no child row lacks its article, no story has two rows or none of its articles."""
    yield
    import time

    from tasks.warehouse import invariants, storage

    since, _checked_until[0] = _checked_until[0], time.time()
    for current in Path(tmp_path_factory.getbasetemp()).rglob(f".newslake/{storage.CURRENT_FILE}"):
        if current.stat().st_mtime >= since - 1:
            broken = invariants.problems(storage.current(current.parents[1]))
            assert not broken, f"{current.parents[1]}: " + "; ".join(broken)
