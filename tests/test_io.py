import json

import pytest

from pipeline.errors import InputFileError
from pipeline.io import RecordWriter, iter_batches, read_records, write_records

RECORDS = [{"id": "a", "text": "Æblerne i Århus", "rung": 2, "actors": ["citizens"], "rung_proba": [0.1, 0.1, 0.6, 0.1, 0.1]},
           {"id": "b", "text": "Søen ved Ølstykke", "rung": 0, "actors": [], "rung_proba": [0.9, 0.025, 0.025, 0.025, 0.025]}]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_round_trip_keeps_lists_and_danish_letters(tmp_path, suffix):
    path = tmp_path / f"r{suffix}"
    assert write_records(path, RECORDS) == 2
    back = read_records(path)
    assert [r["id"] for r in back] == ["a", "b"]
    assert back[0]["text"] == "Æblerne i Århus"
    assert back[0]["actors"] == ["citizens"] and back[1]["actors"] == []
    assert [float(x) for x in back[0]["rung_proba"]] == RECORDS[0]["rung_proba"]


def test_writer_is_atomic_on_failure(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "old"}\n', encoding="utf-8")
    with pytest.raises(RuntimeError):
        with RecordWriter(path) as w:
            w.write(RECORDS)
            raise RuntimeError("killed")
    assert path.read_text(encoding="utf-8") == '{"id": "old"}\n'
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_bad_jsonl_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1}\n{not json\n', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad.jsonl:2"):
        read_records(path)


def test_batches_are_bounded(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": "x"}) + "\n" for i in range(10)), encoding="utf-8")
    assert [len(b) for b in iter_batches(path, batch_size=4)] == [4, 4, 2]


def test_unknown_format(tmp_path):
    with pytest.raises(InputFileError, match="unknown table format"):
        write_records(tmp_path / "x.xlsx", RECORDS)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_writer_keeps_columns_that_appear_in_later_batches(tmp_path, suffix):
    path = tmp_path / f"x{suffix}"
    with RecordWriter(path) as w:
        w.write([{"id": "a", "rung": None, "skipped": "noise"}])
        w.write([{"id": "b", "rung": 2, "actors": ["citizens"], "title": "Møde"}])
    rows = read_records(path)
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["rung"] is None and rows[0]["skipped"] == "noise" and rows[1]["rung"] == 2
    assert rows[1]["title"] == "Møde" and rows[1]["actors"] == ["citizens"]


@pytest.mark.parametrize(("encoding", "bom"), [("cp1252", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b"")])
def test_reading_decodes_as_ingest_does(tmp_path, encoding, bom):
    path = tmp_path / "x.csv"
    path.write_bytes(bom + "id,text\n1,Ærø og Køge\n".encode(encoding))
    assert read_records(path) == [{"id": "1", "text": "Ærø og Køge"}]
    path = tmp_path / "x.jsonl"
    path.write_bytes(bom + '{"id": 1, "text": "Ærø og Køge"}\n'.encode(encoding))
    assert read_records(path) == [{"id": 1, "text": "Ærø og Køge"}]
