"""Where a run's NLP batches run: a thread of the flow's process, worker processes of this machine, or a Dask
cluster, and how many slots that gives (``flows.scheduling`` keeps two batches per slot in flight)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from tasks.nlp import preload_model


@contextmanager
def nlp_runner(model: str, workers: int, dask_address: str | None) -> Iterator[tuple[TaskRunner[Any], int]]:
    """Where NLP batches run, and how many run at once: a Dask cluster (its worker threads), ``workers`` local
    processes, or a thread of this process. Workers in other processes report to this run's Prefect API, also when
    it is the ephemeral one this process started (left alone, each would start an ephemeral server of its own)."""
    runner: TaskRunner[Any]
    if dask_address:
        from distributed import Client  # imported only when asked for: dask is a heavy import
        from prefect_dask import DaskTaskRunner

        with Client(dask_address) as client:
            slots = sum(client.nthreads().values())
        runner = DaskTaskRunner(address=dask_address)
    elif workers > 1:
        runner = ProcessPoolTaskRunner(max_workers=workers, initializer=preload_model, initargs=(model,))
        slots = workers
    else:
        with ThreadPoolTaskRunner[Any](max_workers=1) as in_process:
            yield in_process, 1
        return
    with get_client(sync_client=True) as prefect:
        api_url = str(prefect.api_url)
    with temporary_settings(updates={PREFECT_API_URL: api_url}), runner:
        yield runner, max(slots, 1)
