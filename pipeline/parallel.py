"""The one process pool: ingest extracts files and classify classifies batches through it.

``bounded_map`` keeps a bounded window of jobs in flight (memory ~ window x job size) and
hands back each finished job's future as it completes, with the key it was submitted under,
so the caller decides what a failed job means (ingest fails that file only, classify stops).
Workers are started by forkserver (spawn where there is none): never fork a process that
holds an open DuckDB connection and its threads, or a model whose libraries keep threads
(torch); classify forks only a loaded scikit-learn/numpy model, when it has no store open. Workers exit on their
own when the process that started the pool dies (even by SIGKILL): a killed run leaves no
orphans behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

K = TypeVar("K")


def _exit_with_parent(parent_pid: int) -> None:
    """Make this worker die with the process that started the pool, however that one ends.

    On Linux the kernel sends SIGKILL when the forking parent dies (PR_SET_PDEATHSIG); a
    daemon thread also polls, for other POSIX systems and for pools whose workers are forked
    by a helper process (forkserver), which exits when the main process goes.
    """
    import signal
    import sys
    import threading
    import time

    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) would terminate the parent on Windows
        return
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
        except OSError:  # pragma: no cover - no glibc (musl): the thread below still watches
            pass
    first_ppid = os.getppid()

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # pragma: no cover - exists, not ours
            return True
        try:  # a killed parent that nobody reaped yet is a zombie: dead for our purpose
            with open(f"/proc/{pid}/stat", "rb") as fh:
                return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
        except OSError:
            return True

    def watch() -> None:
        while True:
            if os.getppid() != first_ppid or not alive(parent_pid):
                os._exit(1)
            time.sleep(0.5)

    if os.getppid() != first_ppid or not alive(parent_pid):
        os._exit(1)
    threading.Thread(target=watch, name="samskab-parent-watch", daemon=True).start()


def _start_worker(parent_pid: int, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    _exit_with_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


def bounded_map(fn: Callable[..., Any], jobs: Iterable[tuple[K, tuple]], *, workers: int, window: int | None = None,
                initializer: Callable[..., None] | None = None, initargs: tuple = (), method: str | None = None
                ) -> Iterator[tuple[K, Future]]:
    """``fn(*args)`` for each ``(key, args)`` of ``jobs`` in ``workers`` processes; yields ``(key, future)``
    in the order jobs finish. At most ``window`` (default ``2 * workers``) jobs are in flight; when the
    caller stops early or raises, jobs not started are cancelled and the workers shut down.
    ``method`` overrides the start method: "fork" only where the caller knows it is safe
    (classify forks from a process that holds a fork-safe model and no store connection)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    method = method or ("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
    window = max(window or 2 * workers, 1)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=_start_worker, initargs=(os.getpid(), initializer, initargs))
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
