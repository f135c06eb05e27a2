"""What the command line settles before Prefect starts (its server takes 15-25 s): a run that could read nothing,
and a run with nothing new to read. Both are decided by the code the run itself uses (``discover_inputs``,
``input_format``, ``manifest.run_plan``); anything else, or any doubt, starts the run."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import TextIO

from tasks.ingest.discover import discover_inputs
from tasks.ingest.readable import FORMATS, input_format
from tasks.warehouse import manifest, storage

SHOWN_PATHS = 3  # paths named per reason; the count says how many more


def settled(inputs: list[str], out: str, size_limit: int) -> int | None:
    """The exit status of a run over the local paths ``inputs`` into the warehouse ``out`` (a storage.location)
    when it is known without running it, after saying why; None when the run must start. Call only for a run that
    gathers nothing (no sources, web pages or --reparse): what those bring is known once fetched."""
    found = discover_inputs(inputs)
    reasons: dict[str, list[str]] = defaultdict(list)
    for q in found.quarantined:  # missing, not a file, a loop, a folder that cannot be listed
        reasons[q.reason].append(q.source_uri)
    if not any(input_format(f) for f in found.files):
        for f in found.files:  # each would be quarantined by ingest as unsupported_format
            reasons["unsupported_format"].append(str(f))
        print(f"newslake: error: nothing to ingest: none of the {len(inputs)} paths given is or holds a file of a "
              f"known type ({' '.join(sorted(FORMATS))}, or .gz of one)", file=sys.stderr)
        print_reasons(reasons, sys.stderr)
        if not reasons:
            hidden = f" ({found.skipped['hidden']} hidden entries skipped)" if found.skipped.get("hidden") else ""
            print(f"  the folders given hold no files{hidden}", file=sys.stderr)
        return 1
    unchanged = nothing_new(out, found.files, size_limit)
    if unchanged is None:
        return None
    print(f"newslake: nothing new in {len(found.files)} files; warehouse at version {unchanged} unchanged")
    print_reasons(reasons, sys.stdout)  # as a full run would report them; they change nothing either
    return 0


def nothing_new(out: str, files: list[Path], size_limit: int) -> str | None:
    """The warehouse's version when a run over ``files`` would read none of them (the manifest holds each
    unchanged); None when it would read some, or nothing is committed yet."""
    with storage.snapshot(out) as base:
        if base.version is None:
            return None
        # What run.start adds to this plan are inputs holding duplicates of articles whose files it reads again:
        # none when it reads no file.
        plan = manifest.run_plan(base, files, size_limit)
        return base.version if not plan.todo else None


def print_reasons(reasons: dict[str, list[str]], stream: TextIO) -> None:
    """One line per reason: how many paths, and the first few."""
    for reason, paths in sorted(reasons.items()):
        shown = ", ".join(paths[:SHOWN_PATHS]) + (f" and {len(paths) - SHOWN_PATHS} more" if len(paths) > SHOWN_PATHS
                                                  else "")
        print(f"  {reason}: {len(paths)} ({shown})", file=stream)
