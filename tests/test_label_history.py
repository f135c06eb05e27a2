"""An entity's label is the vote of its mentions' own labels (``nlp_label``, what the NLP stage gave each), never a
vote that an earlier version wrote into ``label``, with one memory: a published label holds until another is
mentioned ``labels.RELABEL_FACTOR`` times as often, so a near tie does not flip it at every run. A rebuild votes with
the labels published, so it gives the labels the runs gave."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from flows.news_pipeline import news_pipeline
from tasks.names import NAME_LABELS
from tasks.warehouse import storage

pytestmark = pytest.mark.usefixtures("prefect_harness")

TEXTS = [
    "Mayor Lena Okafor of Harbor City said on Monday that the ferry to the northern islands would sail in May. "
    "Okafor met the city council and the Harbor Ferry Company to agree the timetable.",
    "Lena Okafor told reporters in Harbor City that the council had backed the plan. The Harbor Ferry Company "
    "said its two boats would be ready by the spring, and the Coast Guard would inspect them.",
]


VOTES = {  # a name the model labels ORG in three articles and GPE in two, then ORG once more
    "a": ["Shares in Velmont rose after the vote. Analysts expect more gains."],
    "b": ["Investors in Velmont expect a dividend. The board meets in June.",
          "Investors in Velmont expect a dividend this year. The board has not said."],
    "c": ["Velmont said it would hire workers. The plant will open soon.",
          "Shares in Velmont rose after the vote on Friday. Traders were pleased."],
    "d": ["Velmont said it would hire more workers. The plant will open in the autumn."],
}


def _jsonl(path: Path, texts: list[str], first: int = 0) -> Path:
    path.write_text("".join(json.dumps({"id": f"n{i}", "url": f"https://example.org/{i}", "title": f"News {i}",
                                        "text": text}) + "\n" for i, text in enumerate(texts, first)),
                    encoding="utf-8")
    return path


def _by_source(out: Path) -> dict[tuple[str, int], tuple[str, str]]:
    with storage.snapshot(out) as snap:
        sources = dict(zip(*snap.read("articles", ["article_id", "source_id"]).to_pydict().values(), strict=True))
        rows = snap.read("entities", ["article_id", "char_start", "label", "canonical_name"]).to_pylist()
    return {(sources[r["article_id"]], r["char_start"]): (r["label"], r["canonical_name"]) for r in rows}


def _velmont(out: Path) -> set[str]:
    return {label for (label, name) in _by_source(out).values() if name == "Velmont"}


def test_a_published_label_holds_until_another_is_twice_as_mentioned(tmp_path: Path) -> None:
    texts = [text for run in "abc" for text in VOTES[run]]
    whole = tmp_path / "whole"
    news_pipeline(inputs=[str(_jsonl(tmp_path / "all.jsonl", texts))], out=str(whole))
    assert _velmont(whole) == {"ORG"}  # three to two, in one run
    runs, first, seen = tmp_path / "runs", 0, []
    for name, part in VOTES.items():  # the same articles, a file per run, and one more
        news_pipeline(inputs=[str(_jsonl(tmp_path / f"{name}.jsonl", part, first))], out=str(runs))
        first += len(part)
        seen.append(_velmont(runs))
        if name == "c":  # three to two: not twice as many, so the published label holds, and a rebuild keeps it
            news_pipeline(inputs=[], out=str(runs), rebuild=True)
            assert _velmont(runs) == {"GPE"}
    # one to none; two to one: twice as many; three to two: held; four to two: twice as many
    assert seen == [{"ORG"}, {"GPE"}, {"GPE"}, {"ORG"}]


def _labels(out: Path) -> dict[tuple[str, int], tuple[str, str]]:
    rows = storage.read_table(out, "entities").select(["article_id", "char_start", "label", "nlp_label"]).to_pylist()
    return {(r["article_id"], r["char_start"]): (r["label"], r["nlp_label"]) for r in rows}


def test_a_rebuild_votes_the_mentions_own_labels_not_an_earlier_vote(tmp_path: Path) -> None:
    out = tmp_path / "w"
    news_pipeline(inputs=[str(_jsonl(tmp_path / "news.jsonl", TEXTS))], out=str(out))
    first = _labels(out)
    assert any(label in NAME_LABELS for label, _ in first.values())
    snap = storage.current(out)
    for part in snap.parts("entities"):  # as an earlier version's vote would have left them
        table = pq.ParquetFile(part).read()
        named = pc.is_in(table["label"], pa.array(NAME_LABELS))
        stale = pc.if_else(named, pa.scalar("EVENT"), table["label"])
        pq.write_table(table.set_column(table.schema.get_field_index("label"), table.schema.field("label"), stale),
                       part)
    assert _labels(out) != first
    news_pipeline(inputs=[], out=str(out), rebuild=True)
    assert _labels(out) == first
