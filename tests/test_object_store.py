"""A warehouse in an object store: the real flow writes s3:// through fsspec, to a local moto S3 server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from flows.news_pipeline import news_pipeline
from tasks.schemas import TABLES
from tasks.warehouse import storage
from tasks.warehouse.commit import Commit
from tests.conftest import ROOT, SAMPLES, comparable_tables

pytestmark = pytest.mark.usefixtures("prefect_harness")

REGISTRY = str(ROOT / "data" / "outlets.csv")
BUCKET = "newslake-test"


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 with one bucket; the AWS settings point every client at it."""
    import boto3
    from moto.server import ThreadedMotoServer
    from s3fs import S3FileSystem

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as env:
        for key, value in {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
                           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
            env.setenv(key, value)
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        S3FileSystem.clear_instance_cache()  # fsspec caches file systems: one made for another module's server
        yield f"s3://{BUCKET}"
    S3FileSystem.clear_instance_cache()
    server.stop()


def test_the_flow_writes_a_warehouse_to_s3(s3: str, tmp_path: Path) -> None:
    url = f"{s3}/warehouse"
    summary = news_pipeline(inputs=[str(SAMPLES)], out=url, outlets_registry=REGISTRY)
    assert summary.version and summary.out == url
    news_pipeline(inputs=[str(SAMPLES)], out=str(tmp_path), outlets_registry=REGISTRY)
    remote, local = comparable_tables(url), comparable_tables(tmp_path)
    for name in TABLES:
        assert remote[name].equals(local[name]), f"{name} in S3 differs from the local warehouse"
    articles = pd.read_parquet(f"{url}/articles")  # what an analyst opens, without newslake's code
    assert len(articles) == summary.tables["articles"] >= 9
    again = news_pipeline(inputs=[str(SAMPLES)], out=url, outlets_registry=REGISTRY)
    assert again.version is None and again.files_processed == 0 and again.tables == summary.tables
    assert not storage.cache_dir(url).exists()  # the run's local scratch is gone after its commit


def test_an_unpublished_commit_is_invisible_and_cleaned_up(s3: str) -> None:
    url = f"{s3}/unpublished"
    first = Commit(storage.open_for_writing(url))
    first.write("articles", _articles(["a1"]))
    base = first.publish()
    killed = Commit(base)  # a run killed after writing its parts, before its CURRENT
    killed.write("articles", _articles(["a1", "a2"]))
    assert storage.read_table(url, "articles")["article_id"].to_pylist() == ["a1"]
    assert storage.current(url) == base
    fs, _ = storage.filesystem(url)
    assert fs.exists(killed.path)
    storage.open_for_writing(url)  # the next writer removes it
    assert not fs.exists(killed.path)
    for n in range(3):  # replaced parts are dropped from the bucket too
        commit = Commit(storage.current(url))
        commit.write("articles", _articles([f"b{n}"]))
        commit.publish()
    assert not fs.exists(killed.path.rsplit("/", 1)[0]) or fs.ls(killed.path.rsplit("/", 1)[0]) == []
    assert pd.read_parquet(f"{url}/articles")["article_id"].tolist() == ["b2"]
    root = storage.filesystem(url)[1]  # the parts left are those CURRENT lists (in their month's folder)
    assert [p.removeprefix(f"{root}/articles/") for p in fs.find(f"{root}/articles")] == list(
        storage.current(url).tables["articles"])


def _articles(ids: list[str]) -> pa.Table:
    return pa.Table.from_pylist([{"article_id": i, "outlet_id": "o", "text": "t", "word_count": 1,
                                  "sentence_count": 0, "source_uri": f"/in/{i}.txt", "source_format": "txt",
                                  "content_hash": "h", "story_id": "s", "pipeline_version": "test",
                                  "ingested_at": datetime(2026, 1, 1, tzinfo=UTC)} for i in ids],
                                schema=TABLES["articles"])
