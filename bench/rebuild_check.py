"""Incremental equals rebuild: a warehouse that a history of runs wrote, against what ``--rebuild`` recomputes from
its detail tables.

    nice .venv/bin/python -m bench.rebuild_check --warehouse DIR [--work DIR]

The warehouse is copied (into ``--work``, a new folder), the copy is rebuilt by the real command line in a child
process (``newslake run --rebuild --workers 1``: its seconds and peak RSS are printed), and every table of the two
is compared row by row as a multiset (DuckDB's ``EXCEPT ALL`` both ways, spilling to disk) over the columns both
hold: a column the warehouse's version did not write yet (``articles.minhash``) is named, not compared. Exits 1
when any row differs. The warehouse itself is only read.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from flows.cli import set_environment_defaults

set_environment_defaults()  # before pyarrow is imported

import duckdb  # noqa: E402

from bench.scale import timed_run  # noqa: E402
from tasks.schemas import TABLES  # noqa: E402
from tasks.warehouse import storage  # noqa: E402


def differences(built: Path, rebuilt: Path, spill: Path) -> dict[str, tuple[int, int, int, list[str]]]:
    """Per table: rows, rows only in ``built``, rows only in ``rebuilt``, columns only one of them holds."""
    con = duckdb.connect()
    con.execute(f"set memory_limit = '1GB'; set temp_directory = '{spill}'")
    found = {}
    with storage.snapshot(built) as a, storage.snapshot(rebuilt) as b:
        for name in TABLES:
            rows = a.num_rows(name)  # from the parts' footers: the rows need no scan to be counted
            if not (a.parts(name) and b.parts(name)):  # a table one of them does not hold: all its rows differ
                found[name] = (rows, rows, b.num_rows(name), [])
                continue
            scans = [f"read_parquet({snap.parts(name)!r}, union_by_name = true)" for snap in (a, b)]
            columns = [{row[0] for row in con.sql(f"describe select * from {scan}").fetchall()} for scan in scans]
            listed = ", ".join(f'"{c}"' for c in TABLES[name].names if c in columns[0] & columns[1])
            first, second = (f"select {listed} from {scan}" for scan in scans)
            only = [con.sql(f"select count(*) from ({x} except all {y})").fetchone() for x, y in
                    ((first, second), (second, first))]
            found[name] = (rows, *(o[0] if o else 0 for o in only), sorted(columns[0] ^ columns[1]))
    con.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--work", type=Path, help="a new folder for the rebuilt copy (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="newslake-rebuild-"))
    copy = work / "rebuilt"
    shutil.copytree(args.warehouse, copy)
    try:
        run = timed_run(copy, "--rebuild")
        print(f"rebuild of a copy: {run['seconds']:.1f} s (aggregate {run['aggregate']:.1f} s), "
              f"peak RSS {run['peak_mb']:,.0f} MB")
        found = differences(args.warehouse, copy, work)
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    print(f"{'table':<22}{'rows':>13}{'only as built':>15}{'only rebuilt':>14}")
    for name, (rows, built, rebuilt, unshared) in found.items():
        note = f"   (not compared: {', '.join(unshared)})" if unshared else ""
        print(f"{name:<22}{rows:>13,}{built:>15,}{rebuilt:>14,}{note}")
    same = all(built == rebuilt == 0 for _, built, rebuilt, _ in found.values())
    print("incremental equals rebuild" if same else "the rebuild differs")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
