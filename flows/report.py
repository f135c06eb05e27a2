"""What a run did, for the CLI, the flow's return value and the Prefect artifact each run publishes."""

from __future__ import annotations

import resource
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pydantic import BaseModel


class StageClock:
    """Wall time per stage, summed over a run's batches, and this process's peak memory when each stage last
    ended (it only rises: the stage where it rose is where memory went)."""

    def __init__(self, entered: Callable[[str], None] | None = None) -> None:
        self.entered = entered  # told each stage as it begins (flows.progress shows the current one)
        self.seconds: dict[str, float] = defaultdict(float)
        self.peak_rss_mb: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        if self.entered is not None:
            self.entered(stage)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - started
            self.peak_rss_mb[stage] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB

    def rounded(self) -> dict[str, float]:
        return {stage: round(seconds, 2) for stage, seconds in self.seconds.items()}


class RunSummary(BaseModel):
    out: str
    version: str | None  # warehouse version this run committed; None when there was nothing new to commit
    files_processed: int  # new or changed input files read by this run
    files_unchanged: int  # skipped: the manifest holds them with the same content hash
    articles_in_run: int
    languages: dict[str, int]  # this run's articles by language code
    tables: dict[str, int]  # rows per table in the warehouse after the run
    added: dict[str, int]  # rows per table after the run minus before (negative when replaced inputs shrank)
    quarantined: dict[str, int]  # this run's quarantined inputs and records by reason
    # skipped on purpose, by reason: entries of input folders (hidden), records of web archives that are no
    # article (not_response, revisit, http_status, not_html, truncated), JSON records' values too large for
    # articles.source_fields (source_field_too_large, source_fields_full, source_field_not_json)
    skipped: dict[str, int] = {}
    stage_seconds: dict[str, float]  # wall time per stage (start, ingest, clean, nlp, merge, aggregate, commit)
    stage_peak_rss_mb: dict[str, float] = {}  # the flow process's peak memory so far when each stage last ended
    seconds: float


def markdown(summary: RunSummary) -> str:
    """The run report as Markdown (a Prefect artifact)."""
    state = f"committed version `{summary.version}`" if summary.version else "nothing new: no version committed"
    lines = [
        f"# newslake run: {state}",
        "",
        f"Warehouse `{summary.out}`; {summary.files_processed} input files processed, {summary.files_unchanged} "
        f"unchanged and skipped; {summary.articles_in_run} articles; {summary.seconds:.1f} s.",
        "",
        "| table | rows added | rows now |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {summary.added.get(name, 0):+d} | {rows} |" for name, rows in summary.tables.items()),
        "",
        "| quarantined because | inputs or records |",
        "| --- | ---: |",
        *(f"| {reason} | {n} |" for reason, n in summary.quarantined.items()),
        *(["| (none) | 0 |"] if not summary.quarantined else []),
        "",
        "Skipped on purpose (hidden entries of input folders, web archive records that are no article): "
        + (", ".join(f"{reason} {n}" for reason, n in summary.skipped.items()) or "none"),
        "",
        "Languages: " + (", ".join(f"{lang} {n}" for lang, n in summary.languages.items()) or "none"),
        "",
        "Seconds per stage: " + ", ".join(f"{stage} {s:.1f}" for stage, s in summary.stage_seconds.items()),
        "",
        "Peak memory (MB) of the flow's process when each stage ended: "
        + ", ".join(f"{stage} {mb:.0f}" for stage, mb in summary.stage_peak_rss_mb.items()),
    ]
    return "\n".join(lines)


def print_summary(summary: RunSummary, brief: bool = False) -> None:
    """The run's summary on stdout: one line when ``brief`` (--quiet), else with the tables and what was set aside."""
    state = f"committed version {summary.version}" if summary.version else "nothing new to commit"
    print(f"{'' if brief else chr(10)}newslake: {state}; {summary.files_processed} input files processed, "
          f"{summary.files_unchanged} unchanged; {summary.articles_in_run} articles; {summary.seconds:.1f} s")
    if brief:
        return
    print(f"tables in {summary.out}:")
    for table, rows in summary.tables.items():
        print(f"  {table:<15} {rows:>8} rows ({summary.added[table]:+d})")
    quarantined = ", ".join(f"{r}: {n}" for r, n in summary.quarantined.items()) or "none"
    print(f"quarantined inputs by reason: {quarantined}")
    if summary.skipped:
        print("skipped on purpose: " + ", ".join(f"{r}: {n}" for r, n in summary.skipped.items()))
    if summary.languages:
        print("languages: " + ", ".join(f"{lang} {n}" for lang, n in summary.languages.items()))
