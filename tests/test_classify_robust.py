"""classify on hostile or faulty input (issue 16): bad lines, duplicate ids, encodings,
option values, languages, noise segments, content fingerprints, orphaned workers, output paths."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.classify import classify, classify_batch
from pipeline.cli import app
from pipeline.errors import DataError, InputFileError, OutputFileError
from pipeline.io import read_records

DANISH = "Frivillige fra Røde Kors driver lektiecaféen sammen med skolens lærere to gange om ugen."
ROOT = Path(__file__).resolve().parent.parent


def _lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _rec(i, text=DANISH, **kw) -> str:
    return json.dumps({"id": i, "text": text, **kw}, ensure_ascii=False)


def test_bad_lines_are_rejected_with_line_and_reason_and_the_rest_is_classified(tmp_path, tiny_model_dir):
    src = _lines(tmp_path / "in.jsonl", [
        _rec("a"), "{not json", _rec("b"), json.dumps({"id": "c"}), json.dumps({"text": DANISH}), "[1, 2]",
        _rec("d", text=""), _rec("e", text=5), _rec(["x"]), _rec("f"),
    ])
    out = tmp_path / "p.jsonl"
    result = classify(src, out, model_dir=tiny_model_dir, batch_size=2)
    assert [r["id"] for r in read_records(out)] == ["a", "b", "f"]
    rejects = read_records(tmp_path / "p.jsonl.rejects.jsonl")
    assert result.n_rejected == 7 and result.rejects == tmp_path / "p.jsonl.rejects.jsonl"
    assert [r["line"] for r in rejects] == [2, 4, 5, 6, 7, 8, 9]
    reasons = [r["reason"] for r in rejects]
    assert "not valid JSON" in reasons[0] and reasons[1] == "no 'text'" and reasons[2] == "no 'id'"
    assert "JSON object" in reasons[3] and reasons[4] == "empty 'text'" and "string" in reasons[5] and "'id'" in reasons[6]
    # a clean rerun removes the old rejects file
    _lines(src, [_rec("a"), _rec("b")])
    assert classify(src, out, model_dir=tiny_model_dir).n_rejected == 0
    assert not (tmp_path / "p.jsonl.rejects.jsonl").exists()


def test_strict_stops_at_the_first_bad_line(tmp_path, tiny_model_dir):
    src = _lines(tmp_path / "in.jsonl", [_rec("a"), _rec("b"), "{oops"])
    with pytest.raises(InputFileError, match=r"in\.jsonl:3.*not valid JSON"):
        classify(src, tmp_path / "p.jsonl", model_dir=tiny_model_dir, strict=True)
    assert not (tmp_path / "p.jsonl").exists()


def test_duplicate_and_clashing_ids_are_reported(tmp_path, tiny_model_dir):
    src = _lines(tmp_path / "in.jsonl", [_rec(2), _rec("2"), _rec("x"), _rec("x"), _rec(3)])
    result = classify(src, tmp_path / "p.jsonl", model_dir=tiny_model_dir)
    assert [r["id"] for r in read_records(tmp_path / "p.jsonl")] == ["2", "x", "3"]
    rejects = read_records(result.rejects)
    assert [r["line"] for r in rejects] == [2, 4]
    assert "clashes with id 2 on line 1" in rejects[0]["reason"]
    assert "duplicate id 'x' (first on line 3)" == rejects[1]["reason"]


def test_cli_summarises_rejects_and_exits_1(tmp_path, tiny_model_dir):
    src = _lines(tmp_path / "in.jsonl", [_rec("a"), "{bad", _rec("b")])
    out = tmp_path / "p.jsonl"
    res = CliRunner().invoke(app, ["classify", str(src), "--out", str(out), "--model", str(tiny_model_dir)])
    assert res.exit_code == 1
    assert "1 records rejected" in res.output and "line 2" in res.output and "Traceback" not in res.output
    assert len(read_records(out)) == 2
    res = CliRunner().invoke(app, ["classify", str(src), "--out", str(out), "--model", str(tiny_model_dir), "--strict"])
    assert res.exit_code == 1 and "in.jsonl:2" in res.output


@pytest.mark.parametrize("line", ['{"id": "s", "text": "Borgerne blev inviteret \\ud800 til dialogmøde."}',
                                  '{"id": "s", "text": "ok", "meta": {"\\udfff": 1}}'])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_lone_surrogate_escape_is_a_rejected_line_not_a_crash(tmp_path, tiny_model_dir, line, workers):
    src = _lines(tmp_path / "in.jsonl", [_rec("a"), line, _rec("b")])
    out = tmp_path / "p.jsonl"
    res = CliRunner().invoke(app, ["classify", str(src), "--out", str(out), "--model", str(tiny_model_dir), "--workers", str(workers)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "line 2" in res.output and "lone surrogate" in res.output
    assert [r["id"] for r in read_records(out)] == ["a", "b"]
    assert [r["line"] for r in read_records(tmp_path / "p.jsonl.rejects.jsonl")] == [2]


@pytest.mark.parametrize("encoding,bom", [("cp1252", b""), ("utf-8", b"\xef\xbb\xbf")])
def test_csv_in_cp1252_or_with_bom_is_decoded_as_ingest_does(tmp_path, tiny_model_dir, encoding, bom):
    text = "Ældre borgere får hjælp fra hjemmeplejen til selv at klare de daglige gøremål, så længe de kan."
    src = tmp_path / "in.csv"
    src.write_bytes(bom + f'id,text,municipality\n1,"{text}",Køge\n2,"{DANISH}",Ærø\n'.encode(encoding))
    out = tmp_path / "p.jsonl"
    result = classify(src, out, model_dir=tiny_model_dir)
    rows = read_records(out)
    assert result.n_rejected == 0 and [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["municipality"] == "Køge" and rows[1]["municipality"] == "Ærø"


@pytest.mark.parametrize("flag,value", [("--batch-size", "-5"), ("--workers", "0"), ("--evidence", "-1")])
def test_nonsense_options_are_refused(tmp_path, tiny_model_dir, flag, value):
    src = _lines(tmp_path / "in.jsonl", [_rec("a")])
    res = CliRunner().invoke(app, ["classify", str(src), "--out", str(tmp_path / "p.jsonl"), "--model", str(tiny_model_dir), flag, value])
    assert res.exit_code == 2 and flag in res.output and not (tmp_path / "p.jsonl").exists()


@pytest.mark.parametrize("kw", [{"batch_size": -5}, {"workers": 0}, {"evidence_k": -1}])
def test_library_refuses_nonsense_options(tmp_path, tiny_model_dir, kw):
    src = _lines(tmp_path / "in.jsonl", [_rec("a")])
    with pytest.raises(DataError, match="at least|0 or more"):
        classify(src, tmp_path / "p.jsonl", model_dir=tiny_model_dir, **kw)


def test_every_record_gets_lang(tmp_path, tiny_model_dir):
    samples = [json.loads(line) for line in open(ROOT / "tests" / "data" / "lang_samples.jsonl", encoding="utf-8")]
    records = [{"id": str(n), "text": s["text"]} for n, s in enumerate(samples)]
    from pipeline.models import load_model

    out = classify_batch(load_model(tiny_model_dir), records)
    got = {s["text"]: o["lang"] for s, o in zip(samples, out)}
    misses = []
    for s in samples:
        short = s["lang"] == "da" and len(s["text"]) < 30
        if got[s["text"]] != ("und" if short else s["lang"]):
            misses.append((s["lang"], got[s["text"]]))
    assert misses in ([], [("no", "da")]), misses  # the Danish prior may take one Norwegian sentence (measured)
    for lang in ("en", "zh", "ar", "sv", "no"):  # still classified
        assert all(isinstance(o["rung"], int) for o, s in zip(out, samples) if s["lang"] == lang)


def test_result_counts_non_danish(tmp_path, tiny_model_dir):
    src = _lines(tmp_path / "in.jsonl", [_rec("a"), _rec("b", text="The city council approved the budget and asked for a report on the new school.")])
    result = classify(src, tmp_path / "p.jsonl", model_dir=tiny_model_dir)
    assert result.n_non_danish == 1
    assert [r["lang"] for r in read_records(tmp_path / "p.jsonl")] == ["da", "en"]



def test_same_size_same_mtime_edit_is_detected(tmp_path, tiny_model_dir):
    src = _lines(tmp_path / "in.jsonl", [_rec(f"s{n}") for n in range(6)])
    out = tmp_path / "p.jsonl"
    classify(src, out, model_dir=tiny_model_dir, batch_size=2, max_batches=2)
    st = src.stat()
    data = src.read_bytes().replace(b"lektiecaf\xc3\xa9en", b"lektiecaf\xc3\xa9EN")  # same size
    src.write_bytes(data)
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert src.stat().st_size == st.st_size and src.stat().st_mtime_ns == st.st_mtime_ns
    assert classify(src, out, model_dir=tiny_model_dir, batch_size=2).resumed_batches == 0
    fresh = tmp_path / "fresh.jsonl"
    classify(src, fresh, model_dir=tiny_model_dir, batch_size=2)
    assert out.read_bytes() == fresh.read_bytes()


def test_unwritable_output_is_a_coded_error(tmp_path, tiny_model_dir, monkeypatch):
    import tempfile

    src = _lines(tmp_path / "in.jsonl", [_rec("a")])

    def denied(*args, **kwargs):  # what a folder without write permission gives a non-root user
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", denied)
    with pytest.raises(OutputFileError, match=r"E017.*p\.jsonl.*Permission denied"):
        classify(src, tmp_path / "out" / "p.jsonl", model_dir=tiny_model_dir)
    res = CliRunner().invoke(app, ["classify", str(src), "--out", str(tmp_path / "out" / "p.jsonl"), "--model", str(tiny_model_dir)])
    assert res.exit_code == 1 and "E017" in res.output and "Permission denied" in res.output


def test_output_path_that_cannot_be_created_is_a_coded_error(tmp_path, tiny_model_dir):
    src = _lines(tmp_path / "in.jsonl", [_rec("a")])
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputFileError, match=r"E017.*afile"):
        classify(src, tmp_path / "afile" / "p.jsonl", model_dir=tiny_model_dir)
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(OutputFileError, match="folder"):
        classify(src, tmp_path / "dir.jsonl", model_dir=tiny_model_dir)
    res = CliRunner().invoke(app, ["classify", str(src), "--out", str(tmp_path / "afile" / "p.jsonl"), "--model", str(tiny_model_dir)])
    assert res.exit_code == 1 and "E017" in res.output and "Traceback" not in res.output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process tree checks use /proc")
def test_workers_exit_when_the_parent_is_killed(tmp_path, tiny_model_dir):
    import psutil

    src = _lines(tmp_path / "in.jsonl", [_rec(f"s{n}") for n in range(10_000)])
    code = (f"from pipeline.classify import classify; classify({str(src)!r}, {str(tmp_path / 'p.jsonl')!r}, "
            f"model_dir={str(tiny_model_dir)!r}, workers=2, batch_size=20)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        parent = psutil.Process(proc.pid)
        deadline = time.monotonic() + 60
        workers: list = []
        while time.monotonic() < deadline and len(workers) < 2:  # forked children (Linux) or grandchildren (forkserver)
            workers = [p for p in parent.children(recursive=True)
                       if _ppid(p) not in (proc.pid, None) or _cmdline(p) == _cmdline(parent)]
            time.sleep(0.2)
        assert proc.poll() is None and len(workers) >= 2, "the run ended before its workers could be watched"
        tree = parent.children(recursive=True)
        time.sleep(1.0)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)
        gone, alive = psutil.wait_procs(tree, timeout=10)
        assert not alive, f"orphaned: {[p.pid for p in alive]}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        for p in locals().get("alive") or []:  # do not leave the orphans of a failed run behind
            try:
                p.kill()
            except psutil.Error:
                pass


def _cmdline(p):
    import psutil

    try:
        return p.cmdline()
    except psutil.Error:
        return None


def _ppid(p):
    import psutil

    try:
        return p.ppid()
    except psutil.Error:
        return None


def test_killed_run_with_rejects_resumes_to_the_same_output_and_rejects(tmp_path, tiny_model_dir):
    lines = [_rec(f"s{n}") if n % 4 else "{bad" for n in range(12)]
    src = _lines(tmp_path / "in.jsonl", lines)
    whole, resumed = tmp_path / "whole.jsonl", tmp_path / "resumed.jsonl"
    classify(src, whole, model_dir=tiny_model_dir, batch_size=2)
    classify(src, resumed, model_dir=tiny_model_dir, batch_size=2, max_batches=2)  # killed
    result = classify(src, resumed, model_dir=tiny_model_dir, batch_size=2)
    assert result.resumed_batches == 2 and result.n_rejected == 3
    assert resumed.read_bytes() == whole.read_bytes()
    strip = [{k: v for k, v in r.items() if k != "input"} for r in read_records(result.rejects)]
    assert strip == [{k: v for k, v in r.items() if k != "input"} for r in read_records(tmp_path / "whole.jsonl.rejects.jsonl")]
    assert [r["line"] for r in strip] == [1, 5, 9]


def test_parquet_integer_ids_stored_as_floats_are_accepted(tmp_path, tiny_model_dir):
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [1.0, None, 3.0, 2.5], "text": [DANISH] * 4}), src)
    result = classify(src, tmp_path / "p.jsonl", model_dir=tiny_model_dir)
    assert [r["id"] for r in read_records(tmp_path / "p.jsonl")] == ["1", "3"]
    assert [(r["line"], r["reason"][:12]) for r in read_records(result.rejects)] == [(2, "no 'id'"), (4, "'id' must be")]


def test_an_unterminated_csv_quote_keeps_the_rows_before_it(tmp_path, tiny_model_dir):
    src = tmp_path / "in.csv"
    src.write_text('id,text\n1,"Borgerne inviteres til dialogmøde."\n2,"ingen slutning\n3,x\n', encoding="utf-8")
    out = tmp_path / "p.jsonl"
    result = classify(src, out, model_dir=tiny_model_dir)
    assert [r["id"] for r in read_records(out)] == ["1"] and result.n_rejected == 1
    [reject] = read_records(tmp_path / "p.jsonl.rejects.jsonl")
    assert reject["line"] == 3 and "unterminated quote" in reject["reason"]
    assert not (tmp_path / "p.jsonl.parts").exists()
    with pytest.raises(InputFileError, match=r"in\.csv:3: .*unterminated quote"):
        classify(src, tmp_path / "q.jsonl", model_dir=tiny_model_dir, strict=True)
