"""Batch classification: stream segments through a model, bounded in memory, resumable.

Input batches are numbered (``pipeline.sources``); each finished batch is written atomically
as a part file in ``OUT.parts/`` (by the worker that classified it, with its counts beside it).
A killed run restarted with the same arguments skips finished parts, and the output
(JSONL/CSV/Parquet by extension) is assembled from the parts, a JSONL segment output by
copying their bytes, so it is identical to an uninterrupted run. Bad records go to ``OUT.rejects.jsonl`` with
their line and reason (``strict=True`` stops at the first). Noise segments (table of
contents, attendance lists, ...) get a null record; every record gets ``lang``. Engines:
``local`` (one process, or ``workers`` processes) and ``dask`` (the model folder's bytes
are sent to the workers once, so no shared file system is needed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pipeline.documents import aggregate_documents
from pipeline.errors import DataError, OutputFileError
from pipeline.lang import detect_languages
from pipeline.records import PASSTHROUGH, DocumentRecord, PredictionRecord, SegmentRecord
from pipeline.segment import NOISE_SECTION_KINDS  # contract 1: one definition of the noise kinds
from pipeline.sources import checked_batches, open_source

Level = Literal["segment", "document"]


# -- compute -----------------------------------------------------------------------------
def is_noise(record: SegmentRecord) -> bool:
    """A segment whose section kind is noise (records without ``section_kind`` are content)."""
    return record.get("section_kind") in NOISE_SECTION_KINDS


def noise_record(record: SegmentRecord, passthrough: tuple[str, ...]) -> PredictionRecord:
    """The prediction record of a segment that is not classified (contract 2)."""
    row: dict[str, Any] = {"id": str(record["id"])}
    row.update({k: record[k] for k in passthrough if k in record and k != "id"})
    row.update({"section_kind": record.get("section_kind"), "rung": None, "rung_label": None, "rung_proba": None,
                "actors": [], "actor_proba": None, "evidence": [], "skipped": "noise"})
    return row


def classify_batch(model, records: list[SegmentRecord], *, evidence_k: int = 3, vocab: bool = True,  # noqa: ANN001
                   keep_text: bool = False) -> list[PredictionRecord]:
    """The classify contract for one batch (pure: returns new records, in input order).

    Content records get the model's rung, actors and evidence; noise records get the null
    record; every record gets ``lang`` and (with ``vocab``) the vocabulary flag.
    """
    for r in records:
        if "id" not in r or r["id"] is None:
            raise DataError(detail=f"input record without 'id': {str(r)[:120]}")
        if not isinstance(r.get("text"), str):
            raise DataError(detail=f"record {r['id']!r} has no 'text' string")
    passthrough = PASSTHROUGH + (("text",) if keep_text else ())
    content = [r for r in records if not is_noise(r)]
    predicted = iter(model.predict_records(content, evidence_k=evidence_k, passthrough=passthrough, vocab=vocab)
                     if content else [])
    langs = iter(detect_languages([r["text"] for r in records]))
    out = []
    for r in records:
        if is_noise(r):
            row = noise_record(r, passthrough)
            if vocab:
                row["vocab"] = None
        else:
            row = next(predicted)  # with "vocab" when asked
        row["lang"] = next(langs)
        out.append(row)
    return out


def classify_document(model, doc: DocumentRecord, *, evidence_k: int = 3,  # noqa: ANN001
                      classify_all_noise: bool = False) -> tuple[list[PredictionRecord], PredictionRecord | None]:
    """One document -> (its segments' prediction records, the document record), segmented as ingest does.

    Segment records keep ``text``, ``start``, ``end``, ``section`` and ``item`` (the agenda
    item's title); the document record is None when every segment is noise, unless
    ``classify_all_noise`` (the web page: a pasted table of contents still gets an answer),
    which then classifies those segments as content. A text too short to segment is one segment.
    """
    from pipeline.segment import segment_document

    text = doc["text"]
    doc_id = str(doc.get("id") or "text")
    segments = segment_document({**doc, "id": doc_id}) or [
        {"id": f"{doc_id}#0", "doc_id": doc_id, "position": 0, "section": None, "start": 0, "end": len(text), "text": text}]
    judged = segments
    if classify_all_noise and all(is_noise(seg) for seg in segments):
        judged = [{k: v for k, v in seg.items() if k != "section_kind"} for seg in segments]
    preds = classify_batch(model, judged, evidence_k=evidence_k, keep_text=True)
    for seg, pred in zip(segments, preds, strict=True):
        for key in ("start", "end", "item", "section_kind"):
            if key in seg:
                pred.setdefault(key, seg[key])
    document = aggregate_documents(preds, evidence_k=evidence_k)[0]
    return preds, (None if document["rung"] is None else document)


# -- workers -----------------------------------------------------------------------------
_WORKER_MODEL: dict[str, Any] = {}


def _worker_init(model_dir: str | None) -> None:
    """Load the model in a fresh worker; a forked worker (``model_dir`` None) has it already."""
    from pipeline.models import load_model

    if model_dir is not None:
        _WORKER_MODEL["model"] = load_model(model_dir)


#: Backends whose loaded model may be forked (numpy/scipy/scikit-learn state; no torch threads).
FORK_SAFE_BACKENDS = frozenset({"ladder", "tfidf"})
WARM_UP = {"id": "warm-up", "text": ("Kommunen og borgerne samarbejder om en ny legeplads, som frivillige fra foreningen "
                                     "bygger sammen med forvaltningen. Byrådet vedtog budgettet.")}


def _load_for_fork(model_dir: str) -> None:
    """Load and warm the model in this process before forking workers from it.

    The workers then share the model's memory with this process copy-on-write (loaded
    once, not once per worker), and start at once; ``gc.freeze`` keeps the cyclic
    garbage collector from writing to (and so copying) the shared objects' pages.
    """
    import gc

    from pipeline.models import load_model

    model = load_model(model_dir)
    classify_batch(model, [dict(WARM_UP)])  # builds the lazy parts (lexicon, vocabulary, language model)
    _WORKER_MODEL["model"] = model
    gc.collect()
    gc.freeze()


def _worker_part(parts: str, index: int, records: list[SegmentRecord], evidence_k: int, vocab: bool,
                 keep_text: bool) -> dict[str, int]:
    """Classify one batch in a worker and write its part file there (the parent only gets the counts)."""
    return _classify_part(_WORKER_MODEL["model"], Path(parts), index, records, evidence_k, vocab, keep_text)


def _classify_part(model, parts: Path, index: int, records: list[SegmentRecord], evidence_k: int, vocab: bool,  # noqa: ANN001
                   keep_text: bool) -> dict[str, int]:
    """Classify one batch, write its part file (and the part's counts beside it); return the counts.

    The cyclic garbage collector is paused for the batch: it allocates many small objects
    and none of them form cycles, so collections would only re-scan the long-lived caches.
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        result = classify_batch(model, records, evidence_k=evidence_k, vocab=vocab, keep_text=keep_text)
        return _write_part(parts, index, result)
    finally:
        if enabled:
            gc.enable()


def model_payload(model_dir: Path) -> dict[str, bytes]:
    """The model folder as bytes, to ship to remote workers."""
    return {str(p.relative_to(model_dir)): p.read_bytes() for p in sorted(Path(model_dir).rglob("*")) if p.is_file()}


def _dask_classify(payload: dict[str, bytes], records: list[SegmentRecord], evidence_k: int, vocab: bool,
                   keep_text: bool) -> list[PredictionRecord]:
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
    n_rejected: int = 0
    rejects: Path | None = None
    first_reject: dict[str, Any] | None = None
    n_noise: int = 0
    n_non_danish: int = 0
    run_id: str | None = None
    n_stored: int = 0


def rejects_path(out: Path) -> Path:
    """``OUT.rejects.jsonl`` beside the output."""
    return out.with_name(out.name + ".rejects.jsonl")


def _parts_dir(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def _write_part(parts: Path, index: int, records: list[PredictionRecord]) -> dict[str, int]:
    """Write a finished batch as ``part-N.jsonl`` and its counts as ``part-N.counts`` (so the output
    can be assembled from the parts' bytes without parsing them); return the counts."""
    from pipeline.io import atomic_write_bytes, atomic_write_text, dumps_jsonl
    from pipeline.lang import is_danish

    counts = {"n": len(records), "noise": sum(1 for r in records if r.get("skipped") == "noise"),
              "non_danish": sum(1 for r in records if not is_danish(r.get("lang")))}
    atomic_write_bytes(parts / f"part-{index:07d}.jsonl", dumps_jsonl(records))
    atomic_write_text(parts / f"part-{index:07d}.counts", json.dumps(counts))
    return counts


def _part_counts(parts: Path, index: int) -> dict[str, int] | None:
    """The counts written beside a part (None if they are missing, e.g. a run killed in between)."""
    try:
        found = json.loads((parts / f"part-{index:07d}.counts").read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and all(isinstance(found.get(k), int) for k in ("n", "noise", "non_danish")) else None


def _copy_parts(parts: Path, n: int, writer) -> tuple[int, int]:  # noqa: ANN001
    """Append the parts' bytes to a JSONL ``writer`` without parsing them; (noise, non-Danish) counts
    from the counts files (a part whose counts are missing is read to count it)."""
    from pipeline.lang import is_danish

    n_noise = n_non_danish = 0
    for i in range(n):
        counts = _part_counts(parts, i)
        if counts is None:
            part = next(_iter_parts(parts, i + 1, start=i))
            counts = {"n": len(part), "noise": sum(1 for r in part if r.get("skipped") == "noise"),
                      "non_danish": sum(1 for r in part if not is_danish(r.get("lang")))}
        n_noise += counts["noise"]
        n_non_danish += counts["non_danish"]
        writer.append_jsonl(parts / f"part-{i:07d}.jsonl", counts["n"])
    return n_noise, n_non_danish


def _iter_parts(parts: Path, n: int, start: int = 0) -> Iterator[list[PredictionRecord]]:
    from pipeline.io import loads_line

    for i in range(start, n):
        with (parts / f"part-{i:07d}.jsonl").open(encoding="utf-8") as fh:
            yield [loads_line(line) for line in fh if line.strip()]


def check_options(*, batch_size: int, workers: int, evidence_k: int, min_rung_proba: float = 0.5) -> None:
    """Refuse option values that make no sense before any work is done."""
    problems = []
    if not isinstance(batch_size, int) or batch_size < 1:
        problems.append(f"batch size must be at least 1 (got {batch_size})")
    if not isinstance(workers, int) or workers < 1:
        problems.append(f"workers must be at least 1 (got {workers})")
    if not isinstance(evidence_k, int) or evidence_k < 0:
        problems.append(f"evidence must be 0 or more sentences (got {evidence_k})")
    if not 0.0 < min_rung_proba <= 1.0:
        problems.append(f"min_rung_proba must be in (0, 1] (got {min_rung_proba})")
    if problems:
        raise DataError(detail="; ".join(problems))


def _prepare_output(out: Path) -> Path:
    """Fail early, with a coded error, when ``out`` cannot be written; return the parts folder."""
    import tempfile

    if out.is_dir():
        raise OutputFileError(path=str(out), detail="it is a folder; give a file name such as predictions.jsonl")
    parts = _parts_dir(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out.parent):
            pass
        parts.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputFileError(path=str(out), detail=e.strerror or type(e).__name__) from e
    return parts


def classify(input_path: str | Path | None, out: str | Path, *, model_dir: str | Path | None = None, db: str | Path | None = None,
             level: Level = "segment", engine: Literal["local", "dask"] = "local", workers: int = 1,
             scheduler: str | None = None, batch_size: int = 2048, evidence_k: int = 3, vocab: bool = True,
             keep_text: bool = False, min_rung_proba: float = 0.5, strict: bool = False, to_store: bool = False,
             on_batch: Callable[[int, int | None], None] | None = None, max_batches: int | None = None) -> ClassifyResult:
    """Classify every input record and write ``out``; resumes an interrupted run.

    ``to_store`` (with ``db``) also writes the segment predictions into the store as a
    finished ``classify`` run, from the same parts the output is assembled from; noise
    segments are left out of the store.

    Bad records go to ``OUT.rejects.jsonl`` (line, id, reason) and the run goes on;
    ``strict`` raises at the first one instead. ``on_batch(n_records_done, total)`` is
    called after each batch (progress bars). ``max_batches`` stops early without
    assembling the output (used to test resuming).
    """
    from pipeline.io import RecordWriter, table_format
    from pipeline.models import load_model, resolve_model_dir, verify_model

    check_options(batch_size=batch_size, workers=workers, evidence_k=evidence_k, min_rung_proba=min_rung_proba)
    if level not in ("segment", "document"):
        raise DataError(detail=f"level must be segment or document (got {level!r})")
    if to_store and db is None:
        raise DataError(detail="--to-store writes into a corpus store: give it with --db (the segments are read from there)")
    if to_store and level == "document":
        raise DataError(detail=("--to-store keeps segment predictions (documents are aggregated from them when read); "
                                "run with --level segment --to-store, and --level document without --to-store for a document file"))
    out = Path(out)
    table_format(out)  # fail early on an unknown output format
    model_dir = resolve_model_dir(model_dir)
    # verify the folder before any work; load it here only when this process classifies
    in_process = engine == "local" and workers <= 1
    model = load_model(model_dir) if in_process else None
    manifest = model.manifest if model else verify_model(model_dir)
    source = open_source(input_path, db=db)
    parts = _prepare_output(out)
    run_key = json.dumps({"input": source.fingerprint, "model": manifest.get("files"), "batch_size": batch_size,
                          "evidence_k": evidence_k, "vocab": vocab, "keep_text": keep_text, "format": 2}, sort_keys=True)
    key_file = parts / "RUN_KEY"
    if not key_file.exists() or key_file.read_text() != run_key:
        shutil.rmtree(parts)  # a different run (or none) left these: start afresh
        parts.mkdir(parents=True)
    key_file.write_text(run_key)
    done_parts = {int(p.stem.split("-")[1]) for p in parts.glob("part-*.jsonl")}

    n_input = 0
    n_batches = 0
    resumed = 0
    rejected: list[int] = [0]
    first_reject: list[dict[str, Any]] = []
    reject_file = rejects_path(out)
    rejects = RecordWriter(reject_file)

    def on_reject(row: dict[str, Any]) -> None:
        rejected[0] += 1
        if not first_reject:
            first_reject.append(row)
        rejects.write([row])

    def todo() -> Iterator[tuple[int, list[SegmentRecord]]]:
        nonlocal n_input, n_batches, resumed
        for i, batch in enumerate(checked_batches(source, batch_size, None if strict else on_reject)):
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

    def finished(i: int, result: list[PredictionRecord] | dict[str, int]) -> None:
        if isinstance(result, list):  # dask workers send records back; local ones wrote their part
            _write_part(parts, i, result)
        if on_batch:
            on_batch(n_input, source.total)

    args = (evidence_k, vocab, keep_text)
    with rejects:
        if engine == "dask":
            _run_dask(todo(), finished, model_dir, args, workers=workers, scheduler=scheduler)
        elif workers > 1:
            import sys

            share = sys.platform.startswith("linux") and db is None and manifest.get("backend") in FORK_SAFE_BACKENDS
            _run_pool(todo(), finished, str(model_dir), str(parts), args, workers=workers, share_model=share)
        else:
            for i, batch in todo():
                finished(i, _classify_part(model, parts, i, batch, *args))
    if not rejected[0]:
        reject_file.unlink(missing_ok=True)  # a clean run leaves no rejects file (not even an old one)

    facts = {"n_rejected": rejected[0], "rejects": reject_file if rejected[0] else None,
             "first_reject": first_reject[0] if first_reject else None}
    if max_batches is not None:
        return ClassifyResult(out, n_input, 0, n_batches, resumed, level, **facts)
    n_noise = n_non_danish = n_stored = 0
    from pipeline.lang import is_danish

    with contextlib.ExitStack() as stack:
        writer = stack.enter_context(RecordWriter(out))
        run_id = None
        if to_store:
            from pipeline.store import CorpusStore

            store = stack.enter_context(CorpusStore(db))
            run_id = store.start_run("classify", {"model": str(model_dir), "model_files": manifest.get("files"), "level": level,
                                                  "input": source.fingerprint, "out": str(out)})
        segs: list[dict[str, Any]] = []
        copy_bytes = level == "segment" and run_id is None and writer.format == "jsonl"
        if copy_bytes:  # the parts are already the output's lines
            n_noise, n_non_danish = _copy_parts(parts, n_batches, writer)
        for part in [] if copy_bytes else _iter_parts(parts, n_batches):
            n_noise += sum(1 for r in part if r.get("skipped") == "noise")
            n_non_danish += sum(1 for r in part if not is_danish(r.get("lang")))
            if run_id is not None:
                n_stored += store.write_predictions(run_id, part)
            if level == "document":
                segs.extend(part)
            else:
                writer.write(part)
        if level == "document":
            writer.write(aggregate_documents(segs, min_rung_proba=min_rung_proba, evidence_k=evidence_k))
        if run_id is not None:
            store.finish_run(run_id)
    shutil.rmtree(parts, ignore_errors=True)
    return ClassifyResult(out, n_input, writer.count, n_batches, resumed, level, n_noise=n_noise, n_non_danish=n_non_danish,
                          run_id=run_id, n_stored=n_stored, **facts)


def _run_pool(todo, finished, model_dir: str, parts: str, args: tuple, *, workers: int, share_model: bool = False) -> None:  # noqa: ANN001
    """The shared process pool (pipeline.parallel) with a window of 2 x workers batches in flight.

    ``share_model``: load the model here once and fork the workers from this process, so
    they share its memory copy-on-write and start at once (only for a fork-safe backend,
    on Linux, and with no open store connection in this process); otherwise each worker
    loads the model.
    """
    from pipeline.parallel import bounded_map

    calls = ((i, (parts, i, batch, *args)) for i, batch in todo)
    if not share_model:
        for i, future in bounded_map(_worker_part, calls, workers=workers, initializer=_worker_init, initargs=(model_dir,)):
            finished(i, future.result())
        return
    import gc

    _load_for_fork(model_dir)
    try:
        for i, future in bounded_map(_worker_part, calls, workers=workers, initializer=_worker_init, initargs=(None,),
                                     method="fork"):
            finished(i, future.result())
    finally:
        _WORKER_MODEL.pop("model", None)
        gc.unfreeze()


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
