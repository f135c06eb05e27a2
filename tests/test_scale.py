"""Scale-out: NLP on local worker processes and on a Dask cluster gives the same tables as one process, with the
warehouse on local disk or on an object store (a moto S3 server on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from flows.news_pipeline import news_pipeline
from tests.conftest import ROOT, SAMPLES, comparable_tables
from tests.test_object_store import s3  # noqa: F401 (the fixture)

pytestmark = pytest.mark.usefixtures("prefect_harness")

REGISTRY = str(ROOT / "data" / "outlets.csv")
BATCH = 2  # articles per NLP task: the samples' 9 articles make 5 tasks, so both workers get some


@pytest.fixture(scope="module")
def single_process(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    out = tmp_path_factory.mktemp("single")
    news_pipeline(inputs=[str(SAMPLES)], out=str(out), batch_size=BATCH, outlets_registry=REGISTRY)
    return comparable_tables(out)


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[str]:
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        yield cluster.scheduler_address


def _assert_same(expected: dict[str, pa.Table], out: Path | str) -> None:
    got = comparable_tables(out)
    assert expected["articles"].num_rows >= 9 and expected["entities"].num_rows > 100
    for name, table in expected.items():
        assert got[name].equals(table), f"{name} differs from the single-process run"


def test_dask_cluster_gives_the_single_process_tables(single_process: dict[str, pa.Table], dask_cluster: str,
                                                      tmp_path: Path) -> None:
    from dask.distributed import Client

    news_pipeline(inputs=[str(SAMPLES)], out=str(tmp_path), batch_size=BATCH, outlets_registry=REGISTRY,
                  dask_address=dask_cluster)
    _assert_same(single_process, tmp_path)
    with Client(dask_cluster) as client:
        loads = client.run(lambda: __import__("tasks.nlp").nlp.load_model.cache_info().misses)
    assert sorted(loads.values()) == [1, 1]  # both workers ran NLP batches, each loaded the model once


def test_worker_processes_give_the_single_process_tables(single_process: dict[str, pa.Table],
                                                         tmp_path: Path) -> None:
    news_pipeline(inputs=[str(SAMPLES)], out=str(tmp_path), batch_size=BATCH, outlets_registry=REGISTRY, workers=2)
    _assert_same(single_process, tmp_path)


def test_nlp_on_a_dask_cluster_into_a_warehouse_on_s3(single_process: dict[str, pa.Table], dask_cluster: str,
                                                      s3: str) -> None:  # noqa: F811
    """Past one machine: NLP on the cluster's workers, the tables in the bucket, the same as one process."""
    url = f"{s3}/dask"
    news_pipeline(inputs=[str(SAMPLES)], out=url, batch_size=BATCH, outlets_registry=REGISTRY,
                  dask_address=dask_cluster)
    _assert_same(single_process, url)
