"""The one process pool: ingest extracts files and classify classifies batches through it.

``bounded_map`` keeps a bounded window of jobs in flight (memory ~ window x job size) and
hands back each finished job's future as it completes, with the key it was submitted under,
so the caller decides what a failed job means (ingest fails that file only, classify stops).
Workers are started by forkserver (spawn where there is none): never fork a process that
holds an open DuckDB connection and its threads, or a loaded model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

K = TypeVar("K")


def bounded_map(fn: Callable[..., Any], jobs: Iterable[tuple[K, tuple]], *, workers: int, window: int | None = None,
                initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> Iterator[tuple[K, Future]]:
    """``fn(*args)`` for each ``(key, args)`` of ``jobs`` in ``workers`` processes; yields ``(key, future)``
    in the order jobs finish. At most ``window`` (default ``2 * workers``) jobs are in flight; when the
    caller stops early or raises, jobs not started are cancelled and the workers shut down."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    window = max(window or 2 * workers, 1)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=initializer, initargs=initargs)
    try:
        pending: dict[Future, K] = {}
        queue = iter(jobs)
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                job = next(queue, None)
                if job is None:
                    exhausted = True
                    break
                key, args = job
                pending[pool.submit(fn, *args)] = key
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
