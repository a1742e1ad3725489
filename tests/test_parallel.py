"""The shared process pool: every job comes back under its key, errors stay with their job."""

from __future__ import annotations

import pytest

from pipeline.parallel import bounded_map


def test_every_job_comes_back_under_its_key_and_a_failure_stays_with_its_job():
    jobs = [(i, (i, 2)) for i in range(7)] + [("bad", (1, 0))]
    got = dict(bounded_map(divmod, jobs, workers=2, window=3))
    assert {k: got[k].result() for k in range(7)} == {i: divmod(i, 2) for i in range(7)}
    with pytest.raises(ZeroDivisionError):
        got["bad"].result()


def test_stopping_early_cancels_the_rest():
    seen = []
    for key, future in bounded_map(divmod, ((i, (i, 1)) for i in range(1000)), workers=1, window=2):
        seen.append((key, future.result()))
        break
    assert len(seen) == 1
