"""Fingerprints of every table the flow writes, for checking that a refactoring changes no output.

    .venv/bin/python -m bench.fingerprint OUT.json [-n 300] [--corpora ../shared/corpora]
    .venv/bin/python -m bench.fingerprint OUT.json --compare BEFORE.json

Runs the real flow over the seeds, data/samples and the first N AllSides articles (as JSON lines), each into a new
warehouse, and writes one SHA-256 per table: of its rows without the columns that say when they were written, in a
canonical order. With --compare it prints which tables differ from an earlier file and exits 1 if any does.

It also checks that an incremental warehouse is the one a single run gives: the AllSides articles as two files, read
in one run, and read in two (the first file, then the second added), must give the same digests (entity ids written
as their entities' names: an entity keeps an earlier run's id), or it exits 1.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import tempfile
from itertools import islice
from pathlib import Path

from flows.cli import set_environment_defaults

set_environment_defaults()

from flows.news_pipeline import news_pipeline  # noqa: E402 (after the environment, as the CLI does)
from tasks.schemas import TABLES  # noqa: E402
from tasks.warehouse import storage  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RUN_COLUMNS = {"ingested_at", "processed_at", "version", "pipeline_version", "mtime_ns"}  # when, not what


ENTITY_ID_COLUMNS = ("entity_id", "speaker_entity_id", "entity_a", "entity_b")


def table_digests(out: Path, roots: dict[str, str], ids_as_names: bool = False) -> dict[str, str]:
    """A digest per table; input paths under ``roots`` (path → placeholder) are written as the placeholder, so the
    same inputs in another folder or checkout give the same digests. ``ids_as_names``: entity ids are written as
    their entity's canonical name (pairs ordered by it), and ``entity_aliases`` is left out. An entity keeps the id
    it had in an earlier run (``tasks.aggregate.entity_ids``), so ids depend on the warehouse's history where
    entities do not."""
    digests = {}
    with storage.snapshot(out) as snap:
        mentions = snap.read("entities", ["entity_id", "canonical_name"])
        named = dict(zip(mentions["entity_id"].to_pylist(), mentions["canonical_name"].to_pylist(), strict=True))
        for name in TABLES:
            if ids_as_names and name == "entity_aliases":
                continue
            table = snap.read(name)
            rows = table.drop_columns([c for c in table.column_names if c in RUN_COLUMNS]).to_pylist()
            lines = []
            for row in rows:
                if ids_as_names:
                    row |= {c: named.get(row[c], row[c]) for c in ENTITY_ID_COLUMNS if c in row}
                    if "entity_a" in row and row["entity_a"] > row["entity_b"]:  # a pair is ordered by its ids
                        row |= {"entity_a": row["entity_b"], "entity_b": row["entity_a"], "name_a": row["name_b"],
                                "name_b": row["name_a"]}
                line = json.dumps(row, sort_keys=True, default=str)
                for root, placeholder in roots.items():
                    line = line.replace(root, placeholder)
                lines.append(line)
            lines.sort()
            digests[name] = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16] + f" ({len(lines)} rows)"
    return digests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="JSON file to write the fingerprints to")
    parser.add_argument("-n", type=int, default=300, help="AllSides articles (default 300)")
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--compare", type=Path, help="an earlier fingerprint file to compare with")
    args = parser.parse_args()
    registry = str(ROOT / "data" / "outlets.csv")
    result: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        allsides = Path(tmp) / "allsides.jsonl"
        with gzip.open(args.corpora / "allsides_news" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
            allsides.write_text("".join(islice(fh, args.n)), encoding="utf-8")
        inputs = {"seeds": ROOT / "data" / "samples" / "txt", "samples": ROOT / "data" / "samples",
                  "allsides": allsides}
        for name, path in inputs.items():
            out = Path(tmp) / f"w-{name}"
            news_pipeline(inputs=[str(path)], out=str(out), outlets_registry=registry)
            result[name] = table_digests(out, {tmp: "<tmp>", str(ROOT): "<repo>"})
        single, incremental = _incremental_and_single(Path(tmp), allsides, registry)
    print(f"incremental (two runs) equals a single run over the same two files: {single == incremental}")
    if single != incremental:
        print("\n".join(f"  {t}: single {single[t]}, incremental {incremental[t]}" for t in single
                        if single[t] != incremental[t]))
        return 1
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if not args.compare:
        return 0
    before = json.loads(args.compare.read_text(encoding="utf-8"))
    differ = [f"{run}/{table}: {before.get(run, {}).get(table)} -> {digest}"
              for run, tables in result.items() for table, digest in tables.items()
              if before.get(run, {}).get(table) != digest]
    print("\n".join(differ) or f"identical: {sum(len(t) for t in result.values())} tables in {len(result)} runs")
    return 1 if differ else 0


def _incremental_and_single(tmp: Path, articles: Path, registry: str) -> tuple[dict[str, str], dict[str, str]]:
    """Digests of the warehouse one run makes of ``articles`` split in two files, and of the one two runs make."""
    lines = articles.read_text(encoding="utf-8").splitlines(keepends=True)
    inbox = tmp / "inbox"
    inbox.mkdir()
    halves = [inbox / "first.jsonl", inbox / "second.jsonl"]
    halves[0].write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    news_pipeline(inputs=[str(inbox)], out=str(tmp / "w-incremental"), outlets_registry=registry)
    halves[1].write_text("".join(lines[len(lines) // 2 :]), encoding="utf-8")
    news_pipeline(inputs=[str(inbox)], out=str(tmp / "w-incremental"), outlets_registry=registry)
    news_pipeline(inputs=[str(inbox)], out=str(tmp / "w-single"), outlets_registry=registry)
    roots = {str(tmp): "<tmp>"}
    return table_digests(tmp / "w-single", roots, True), table_digests(tmp / "w-incremental", roots, True)


if __name__ == "__main__":
    sys.exit(main())
