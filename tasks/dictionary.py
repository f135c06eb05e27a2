"""The README's data dictionary, generated from the schemas: ``python -m tasks.dictionary README.md`` rewrites the
part between its markers (a test keeps it in step)."""

from __future__ import annotations

import sys
from pathlib import Path

from tasks.schemas import TABLES
from tasks.warehouse import partitions


def data_dictionary() -> str:
    """Markdown data dictionary of every table, for the README."""
    lines: list[str] = []
    for name, schema in TABLES.items():
        lines += [f"### `{name}`", "", "| column | type | description |", "| --- | --- | --- |"]
        for f in schema:
            desc = (f.metadata or {}).get(b"description", b"").decode()
            lines.append(f"| `{f.name}` | `{f.type}` | {desc} |")
        if name in partitions.PARTITIONED:
            lines.append(f"| `{partitions.KEY}` | folder | {partitions.DESCRIPTION} |")
        lines.append("")
    return "\n".join(lines)


README_MARKERS = ("<!-- data-dictionary:start -->\n", "<!-- data-dictionary:end -->")


def with_data_dictionary(readme: str) -> str:
    """The README text with the part between its data-dictionary markers regenerated."""
    start, end = README_MARKERS
    head, _, rest = readme.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}{data_dictionary()}{end}{tail}"


if __name__ == "__main__":
    if len(sys.argv) > 1:  # python -m tasks.dictionary README.md
        path = Path(sys.argv[1])
        path.write_text(with_data_dictionary(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(data_dictionary())
