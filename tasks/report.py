"""What a run did, for the CLI, the flow's return value and the Prefect artifact each run publishes."""

from __future__ import annotations

from pydantic import BaseModel


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
        "Languages: " + (", ".join(f"{lang} {n}" for lang, n in summary.languages.items()) or "none"),
    ]
    return "\n".join(lines)
