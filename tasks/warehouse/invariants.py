"""What must hold in every committed version: every row can be traced to an input that still provides it.

The tests check these after every run of the flow; a warehouse that breaks one has lost or orphaned rows.
"""

from __future__ import annotations

from collections import Counter

from tasks.warehouse.manifest import input_file
from tasks.warehouse.storage import Snapshot, source_file

CHILD_TABLES = ("sentences", "entities", "quotes")


def problems(snapshot: Snapshot) -> list[str]:
    """Each broken invariant of ``snapshot``, in words (empty when the version is consistent)."""
    found: list[str] = []
    inputs = snapshot.read("inputs", ["source_file", "articles", "quarantined"]).to_pylist()
    files = {str(row["source_file"]) for row in inputs}
    articles = snapshot.read("articles", ["article_id", "source_uri"])
    ids = set(articles["article_id"].to_pylist())
    per_file = Counter(source_file(str(uri)) for uri in articles["source_uri"].to_pylist())  # always a record
    if len(ids) != articles.num_rows:
        found.append(f"articles: {articles.num_rows - len(ids)} repeated article_ids")
    if orphans := set(per_file) - files:
        found.append(f"articles from {len(orphans)} files not in inputs, e.g. {sorted(orphans)[0]}")
    quarantine = snapshot.read("quarantine", ["source_uri", "reason"]).to_pylist()
    set_aside = Counter(input_file(str(q["source_uri"]), files) for q in quarantine if q["reason"] != "not_found")
    for row in inputs:
        name = str(row["source_file"])
        if row["articles"] != per_file[name]:
            found.append(f"inputs says {name} added {row['articles']} articles; articles holds {per_file[name]}")
        if row["quarantined"] != set_aside[name]:
            found.append(f"inputs says {name} set aside {row['quarantined']}; quarantine holds {set_aside[name]}")
    stories = snapshot.read("stories", ["story_id"])["story_id"].to_pylist()
    if len(set(stories)) != len(stories):
        found.append(f"stories: {len(stories)} rows of {len(set(stories))} stories")
    if untold := set(stories) - set(snapshot.read("articles", ["story_id"])["story_id"].to_pylist()):
        found.append(f"stories: {len(untold)} stories no article is in")
    for table in CHILD_TABLES:
        missing = set(snapshot.read(table, ["article_id"])["article_id"].to_pylist()) - ids
        if missing:
            found.append(f"{table}: rows of {len(missing)} articles not in articles")
    return found
