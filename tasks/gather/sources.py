"""The sources registry: what gather polls, one row per source (``data/sources.csv`` is an example): ``outlet`` (a
name, for people), ``kind`` (``feed``: RSS or Atom; ``sitemap``: a sitemap, news sitemap or sitemap index; ``urls``:
a plain list, one URL per line; ``page``: the URL is an article itself) and ``url``. Read with the standard library
only, so the command line checks it before anything starts."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

KINDS = ("feed", "sitemap", "urls", "page")


def is_web_address(text: str) -> bool:
    """An http:// or https:// URL: what gather fetches, where anything else given is a local path."""
    return text.lower().startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class Source:
    outlet: str
    kind: str
    url: str


def read_sources(path: str | Path) -> list[Source]:
    """The sources of a registry file; ``ValueError`` (one line, naming the row) for a file that is not one."""
    try:
        with Path(path).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"cannot read the sources registry {path}: {error}") from error
    sources = []
    for n, row in enumerate(rows, start=2):  # line 1 is the header
        kind, url = (row.get("kind") or "").strip(), (row.get("url") or "").strip()
        if kind not in KINDS:
            raise ValueError(f"{path} line {n}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if not is_web_address(url):
            raise ValueError(f"{path} line {n}: url must start with http:// or https://, got {url!r}")
        sources.append(Source((row.get("outlet") or "").strip(), kind, url))
    if not sources:
        raise ValueError(f"{path}: no sources (expected a header outlet,kind,url and one row per source)")
    return sources
