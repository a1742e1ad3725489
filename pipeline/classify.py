"""Batch classification: stream segments through a model, bounded in memory, resumable.

Input batches are numbered; each finished batch is written atomically as a part file in
``OUT.parts/``. A killed run restarted with the same arguments skips finished parts, and
the final output (JSONL/CSV/Parquet by extension) is assembled from the parts at the end,
so it is identical to an uninterrupted run. Engines: ``local`` (one process, or
``workers`` processes) and ``dask`` (dask.distributed; the model folder's bytes are sent
to the workers once, so no shared file system is needed).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import DataError, InputFileError
from pipeline.records import PASSTHROUGH, PredictionRecord, SegmentRecord

Level = Literal["segment", "document"]


# -- compute -----------------------------------------------------------------------------
def classify_batch(model, records: list[SegmentRecord], *, evidence_k: int = 3, vocab: bool = True,  # noqa: ANN001
                   keep_text: bool = False) -> list[PredictionRecord]:
    """The classify contract for one batch (pure: returns new records)."""
    for r in records:
        if "id" not in r or r["id"] is None:
            raise DataError(detail=f"input record without 'id': {str(r)[:120]}")
        if not isinstance(r.get("text"), str):
            raise DataError(detail=f"record {r['id']!r} has no 'text' string")
    passthrough = PASSTHROUGH + (("text",) if keep_text else ())
    out = model.predict_records(records, evidence_k=evidence_k, passthrough=passthrough)
    if vocab:
        from pipeline.rules import has_vocabulary

        for row, flag in zip(out, has_vocabulary([r["text"] for r in records], model.codebook), strict=True):
            row["vocab"] = flag
    return out


def cumulative(proba: list[float]) -> list[float]:
    """P(rung >= k) for k = 0..4."""
    out, acc = [0.0] * 5, 0.0
    for k in range(4, -1, -1):
        acc += proba[k]
        out[k] = min(acc, 1.0)
    return out


def aggregate_documents(preds: list[PredictionRecord], *, min_rung_proba: float = 0.5, evidence_k: int = 3) -> list[PredictionRecord]:
    """Segment predictions -> one record per document.

    A document reaches rung k when some segment has P(rung >= k) >= ``min_rung_proba``;
    its distribution is built from the per-document maximum of those cumulative
    probabilities, so one strong paragraph is enough and weak ones do not add up.
    """
    from pipeline.codebook import load_codebook

    rung_ids = load_codebook().rung_ids
    docs: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for p in preds:
        doc_id = str(p.get("doc_id") or p["id"])
        d = docs.get(doc_id)
        if d is None:
            order.append(doc_id)
            d = docs[doc_id] = {"id": doc_id, "cum": [0.0] * 5, "actors": set(), "evidence": [], "segment_rungs": [0] * 5,
                                "n_segments": 0, "meta": {k: p.get(k) for k in PASSTHROUGH if k not in ("doc_id", "position", "section")}}
        d["n_segments"] += 1
        d["segment_rungs"][p["rung"]] += 1
        d["cum"] = [max(a, b) for a, b in zip(d["cum"], cumulative(p["rung_proba"]), strict=True)]
        d["actors"].update(p.get("actors", []))
        for ev in p.get("evidence", []):
            d["evidence"].append({**ev, "segment_id": p["id"]})
    actor_order = load_codebook().actor_ids
    out = []
    for doc_id in order:
        d = docs[doc_id]
        cum = d["cum"]
        cum[0] = 1.0
        for k in range(1, 5):  # keep it monotone
            cum[k] = min(cum[k], cum[k - 1])
        proba = [round(cum[k] - (cum[k + 1] if k < 4 else 0.0), 6) for k in range(5)]
        rung = max([k for k in range(5) if cum[k] >= min_rung_proba] or [0])
        evidence = sorted((e for e in d["evidence"] if e.get("rung") == rung), key=lambda e: -e.get("score", 0))[:evidence_k]
        out.append({"id": doc_id, "rung": rung, "rung_label": rung_ids[rung], "rung_proba": proba,
                    "actors": [a for a in actor_order if a in d["actors"]], "evidence": evidence,
                    "n_segments": d["n_segments"], "segment_rung_counts": d["segment_rungs"],
                    **{k: v for k, v in d["meta"].items() if v is not None}})
    return out


# -- inputs ------------------------------------------------------------------------------
@dataclass
class Source:
    """A numbered stream of input batches, with a fingerprint for resuming."""

    batches: Callable[[], Iterator[list[dict[str, Any]]]]
    fingerprint: str
    total: int | None


def _file_fingerprint(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}:{st.st_size}:{int(st.st_mtime)}"


def open_source(input_path: str | Path | None, *, db: str | Path | None = None, batch_size: int = 2048,
                max_chars: int = 1500, min_chars: int = 20) -> Source:
    """Table file, folder of documents (ingested on the fly), or the corpus store."""
    if db is not None:
        from pipeline.store import CorpusStore

        def store_batches() -> Iterator[list[dict[str, Any]]]:
            with CorpusStore(db, read_only=True) as store:
                yield from store.iter_segments(batch_size=batch_size)

        with CorpusStore(db, read_only=True) as store:
            total = store.count_segments()
        return Source(store_batches, f"db:{_file_fingerprint(Path(db))}", total)
    if input_path is None:
        raise DataError(detail="give an INPUT file/folder or --db")
    path = Path(input_path)
    if path.is_dir():
        from pipeline.ingest import documents_from_paths
        from pipeline.segment import segment_documents

        def folder_batches() -> Iterator[list[dict[str, Any]]]:
            batch: list[dict[str, Any]] = []
            docs = documents_from_paths([path], on_error="skip")
            for seg in segment_documents(docs, max_chars=max_chars, min_chars=min_chars):
                batch.append(seg)
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
            if batch:
                yield batch

        files = sorted(p for p in path.rglob("*") if p.is_file())
        fp = hashlib.sha256("\n".join(_file_fingerprint(p) for p in files).encode()).hexdigest()[:16]
        return Source(folder_batches, f"dir:{fp}", None)
    if not path.exists():
        raise InputFileError(path=str(path), detail="no such file or folder")
    from pipeline.io import count_records, iter_batches

    return Source(lambda: iter_batches(path, batch_size=batch_size), _file_fingerprint(path), count_records(path))


# -- workers -----------------------------------------------------------------------------
_WORKER_MODEL: dict[str, Any] = {}


def _worker_init(model_dir: str) -> None:
    from pipeline.models import load_model

    _WORKER_MODEL["model"] = load_model(model_dir)


def _worker_classify(records: list[dict[str, Any]], evidence_k: int, vocab: bool, keep_text: bool) -> list[dict[str, Any]]:
    return classify_batch(_WORKER_MODEL["model"], records, evidence_k=evidence_k, vocab=vocab, keep_text=keep_text)


def model_payload(model_dir: Path) -> dict[str, bytes]:
    """The model folder as bytes, to ship to remote workers."""
    return {str(p.relative_to(model_dir)): p.read_bytes() for p in sorted(Path(model_dir).rglob("*")) if p.is_file()}


def _dask_classify(payload: dict[str, bytes], records: list[dict[str, Any]], evidence_k: int, vocab: bool,
                   keep_text: bool) -> list[dict[str, Any]]:
    """Runs on a dask worker: materialise the model folder once per worker process, then classify."""
    import tempfile

    from pipeline.models import load_model

    key = hashlib.sha256(payload.get("model.json", b"")).hexdigest()
    model = _WORKER_MODEL.get(key)
    if model is None:
        directory = Path(tempfile.mkdtemp(prefix="samskab-model-"))
        for name, data in payload.items():
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            (directory / name).write_bytes(data)
        model = _WORKER_MODEL[key] = load_model(directory)
    return classify_batch(model, records, evidence_k=evidence_k, vocab=vocab, keep_text=keep_text)


# -- orchestration -----------------------------------------------------------------------
@dataclass
class ClassifyResult:
    out: Path
    n_input: int
    n_output: int
    n_batches: int
    resumed_batches: int
    level: str


def _parts_dir(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def _write_part(parts: Path, index: int, records: list[dict[str, Any]]) -> None:
    from pipeline.io import atomic_write_text

    atomic_write_text(parts / f"part-{index:07d}.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def _iter_parts(parts: Path, n: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(n):
        with (parts / f"part-{i:07d}.jsonl").open(encoding="utf-8") as fh:
            yield [json.loads(line) for line in fh if line.strip()]


def classify(input_path: str | Path | None, out: str | Path, *, model_dir: str | Path | None = None, db: str | Path | None = None,
             level: Level = "segment", engine: Literal["local", "dask"] = "local", workers: int = 1,
             scheduler: str | None = None, batch_size: int = 2048, evidence_k: int = 3, vocab: bool = True,
             keep_text: bool = False, min_rung_proba: float = 0.5, on_batch: Callable[[int, int | None], None] | None = None,
             max_batches: int | None = None) -> ClassifyResult:
    """Classify every input record and write ``out``; resumes an interrupted run.

    ``on_batch(n_records_done, total)`` is called after each batch (progress bars).
    ``max_batches`` stops early without assembling the output (used to test resuming).
    """
    from pipeline.io import RecordWriter, table_format
    from pipeline.models import load_model, resolve_model_dir, verify_model

    out = Path(out)
    table_format(out)  # fail early on an unknown output format
    model_dir = resolve_model_dir(model_dir)
    # verify the folder before any work; load it here only when this process classifies
    in_process = engine == "local" and workers <= 1
    model = load_model(model_dir) if in_process else None
    manifest = model.manifest if model else verify_model(model_dir)
    source = open_source(input_path, db=db, batch_size=batch_size)
    run_key = json.dumps({"input": source.fingerprint, "model": manifest.get("files"), "batch_size": batch_size,
                          "evidence_k": evidence_k, "vocab": vocab, "keep_text": keep_text}, sort_keys=True)
    parts = _parts_dir(out)
    key_file = parts / "RUN_KEY"
    if parts.exists() and (not key_file.exists() or key_file.read_text() != run_key):
        shutil.rmtree(parts)  # a different run left these: start afresh
    parts.mkdir(parents=True, exist_ok=True)
    key_file.write_text(run_key)
    done_parts = {int(p.stem.split("-")[1]) for p in parts.glob("part-*.jsonl")}

    n_input = 0
    n_batches = 0
    resumed = 0

    def todo() -> Iterator[tuple[int, list[dict[str, Any]]]]:
        nonlocal n_input, n_batches, resumed
        for i, batch in enumerate(source.batches()):
            if max_batches is not None and i >= max_batches:
                return
            n_batches = i + 1
            n_input += len(batch)
            if i in done_parts:
                resumed += 1
                if on_batch:
                    on_batch(n_input, source.total)
                continue
            yield i, batch

    def finished(i: int, result: list[dict[str, Any]]) -> None:
        _write_part(parts, i, result)
        if on_batch:
            on_batch(n_input, source.total)

    args = (evidence_k, vocab, keep_text)
    if engine == "dask":
        _run_dask(todo(), finished, model_dir, args, workers=workers, scheduler=scheduler)
    elif workers > 1:
        _run_pool(todo(), finished, str(model_dir), args, workers=workers)
    else:
        for i, batch in todo():
            finished(i, classify_batch(model, batch, evidence_k=evidence_k, vocab=vocab, keep_text=keep_text))

    if max_batches is not None:
        return ClassifyResult(out, n_input, 0, n_batches, resumed, level)
    with RecordWriter(out) as writer:
        if level == "document":
            segs = [r for part in _iter_parts(parts, n_batches) for r in part]
            writer.write(aggregate_documents(segs, min_rung_proba=min_rung_proba, evidence_k=evidence_k))
        else:
            for part in _iter_parts(parts, n_batches):
                writer.write(part)
    shutil.rmtree(parts, ignore_errors=True)
    return ClassifyResult(out, n_input, writer.count, n_batches, resumed, level)


def _run_pool(todo, finished, model_dir: str, args: tuple, *, workers: int) -> None:  # noqa: ANN001
    """Process pool with a bounded window of in-flight batches (memory ~ window x batch)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn" if os.name == "nt" else "forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(model_dir,)) as pool:
        pending: dict[Future, int] = {}
        for i, batch in todo:
            pending[pool.submit(_worker_classify, batch, *args)] = i
            if len(pending) >= 2 * workers:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    finished(pending.pop(f), f.result())
        for f in list(pending):
            finished(pending.pop(f), f.result())


def _run_dask(todo, finished, model_dir: Path, args: tuple, *, workers: int, scheduler: str | None) -> None:  # noqa: ANN001
    """dask.distributed: the same batches and the same classify_batch, on cluster workers."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as e:
        from pipeline.errors import MissingExtraError

        raise MissingExtraError(feature="dask engine (--engine dask)", extra="dask", detail=f"missing {e.name or e}") from e
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(workers, 1), threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        payload = client.scatter(model_payload(Path(model_dir)), broadcast=True)
        window = as_completed()
        index: dict[str, int] = {}
        limit = 2 * max(len(client.scheduler_info().get("workers", {})), 1)
        for i, batch in todo:
            fut = client.submit(_dask_classify, payload, batch, *args, pure=False)
            index[fut.key] = i
            window.add(fut)
            while window.count() >= limit:
                f = next(window)
                finished(index.pop(f.key), f.result())
        for f in window:
            finished(index.pop(f.key), f.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
