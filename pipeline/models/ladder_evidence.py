"""Evidence for a batch of the ladder backend (issue 15): ``LadderBackend._evidence`` with the choices
made by sorting over the batch's sentence matrix, leaving only the output dicts to Python.

Same sentences, terms and order as the reference (``tests/models/test_ladder_fast.py`` compares them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.models.base import rounded


def evidence(texts: list[str], sentences: list[list[tuple[int, int]]], rungs: np.ndarray, xs: Any, owner: np.ndarray,
             contrib: np.ndarray, terms: list[str], k: int) -> list[list[dict[str, Any]]]:
    """``LadderBackend._evidence`` with the choices made by sorting: the top-k sentences of each
    segment by their stage-1 score for its rung (ties: the earlier sentence, as ``heapq.nlargest``),
    sentences without features skipped, and each one's top 5 positive pushes (ties: the lower
    feature index)."""
    out: list[list[dict[str, Any]]] = [[] for _ in texts]
    n_s = len(owner)
    if not n_s:
        return out
    row_rung = rungs[owner]
    scores = np.zeros(n_s)
    for r in np.unique(row_rung):
        mask = row_rung == r
        scores[mask] = xs[mask] @ contrib[r]
    seg_start = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=len(texts)))])
    chosen = _top_per_group(owner, -scores, len(texts), k)  # a segment's sentences are consecutive
    indptr = xs.indptr
    lo = indptr[chosen]
    ln = indptr[chosen + 1] - lo
    chosen, lo, ln = chosen[ln > 0], lo[ln > 0], ln[ln > 0]
    total = int(ln.sum())
    grp = np.repeat(np.arange(len(chosen)), ln)
    starts = np.cumsum(ln) - ln
    pos = np.repeat(lo, ln) + (np.arange(total) - np.repeat(starts, ln))
    pushes = xs.data[pos] * contrib[row_rung[chosen][grp], xs.indices[pos]]
    # only positive pushes are shown, and they rank before every other push of their sentence,
    # so the rest can be dropped before sorting (half the entries; the ranks do not change)
    keep = pushes > 0
    pos, grp, pushes = pos[keep], grp[keep], pushes[keep]
    sel = _top_per_group(grp, -pushes, len(chosen), 5)  # ties: index order, which is feature order here
    n_terms = np.bincount(grp[sel], minlength=len(chosen)).tolist()
    pairs = [[terms[t], p] for t, p in zip(xs.indices[pos[sel]].tolist(), rounded(pushes[sel], 4), strict=True)]
    seg_of, first, rung_of = owner[chosen].tolist(), seg_start[owner[chosen]].tolist(), rungs.tolist()
    at = 0
    for j, i, f, m, score in zip(chosen.tolist(), seg_of, first, n_terms, rounded(scores[chosen], 4), strict=True):
        s, e = sentences[i][j - f]
        out[i].append({"sentence": texts[i][s:e], "score": score, "start": s, "end": e, "rung": rung_of[i],
                       "terms": pairs[at:at + m]})
        at += m
    return out


def _top_per_group(grp: np.ndarray, key: np.ndarray, n_groups: int, k: int) -> np.ndarray:
    """Indices of the ``k`` smallest ``key`` of each group, group by group, ascending, ties in index
    order: ``np.lexsort((index, key, grp))`` cut at ``k`` per group (``grp`` sorted, ``key`` finite).
    Groups are small (a sentence's features), so they are sorted as the rows of a padded matrix,
    a fifth of the time of the lexsort; a batch with a very large group takes the lexsort."""
    starts = np.searchsorted(grp, np.arange(n_groups))
    sizes = np.bincount(grp, minlength=n_groups)
    width = int(sizes.max()) if len(grp) else 0
    if n_groups * width > 8 * len(grp) + 4096:
        o = np.lexsort((np.arange(len(grp)), key, grp))
        return o[np.arange(len(o)) - starts[grp[o]] < k]
    mat = np.full((n_groups, width), np.inf)
    mat[grp, np.arange(len(grp)) - starts[grp]] = key
    top = np.argsort(mat, axis=1, kind="stable")[:, :k]
    return (starts[:, None] + top)[top < sizes[:, None]]
