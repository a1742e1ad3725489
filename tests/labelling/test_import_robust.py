"""Label import of malformed files (issue 16): a clear LabelFileError naming file and task, never a traceback."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import LabelFileError
from pipeline.labelling.formats import import_labels

RESULT = [{"from_name": "rung", "to_name": "text", "type": "choices", "value": {"choices": ["none"]}}]
DATA = {"segment_id": "s1", "text": "Byrådet godkendte budgettet."}


@pytest.mark.parametrize(("task", "message"), [
    ({"id": 1, "data": DATA, "annotations": "rung: none"}, r"tasks\.json:task 2: 'annotations' must be a list .* not str"),
    ({"id": 1, "data": DATA, "annotations": {"result": RESULT}}, r"tasks\.json:task 2: 'annotations' must be a list .* not dict"),
    ({"id": 1, "data": DATA, "annotations": ["none"]}, r"tasks\.json:task 2: each annotation must be an object"),
    ({"id": 1, "data": DATA, "annotations": [{"result": "none"}]}, r"tasks\.json:task 2: an annotation's 'result' must be a list"),
    ({"id": 1, "data": DATA, "annotations": [{"result": ["none"]}]}, r"tasks\.json:task 2: each item of an annotation's 'result' must be an object"),
    ({"id": 1, "data": DATA, "annotations": [{"result": [{"from_name": "rung", "value": "none"}]}]},
     r"tasks\.json:task 2: the 'value' of 'rung' must be an object"),
    ({"id": 1, "data": "Byrådet godkendte budgettet.", "annotations": [{"result": RESULT}]}, r"tasks\.json:task 2: 'data' must be an object"),
])
def test_labelstudio_wrong_shapes_name_file_and_task(tmp_path, codebook, task, message):
    good = {"id": 0, "data": {"segment_id": "s0", "text": "Udvalget tog regnskabet til efterretning."}, "annotations": [{"result": RESULT}]}
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([good, task]), encoding="utf-8")
    with pytest.raises(LabelFileError, match=message):
        import_labels(path, fmt="labelstudio", codebook=codebook)


def test_csv_with_an_unterminated_quote_says_where(tmp_path, codebook):
    path = tmp_path / "labels.csv"
    path.write_text('id,text,rung\ns1,"Byrådet godkendte budgettet.",0\ns2,"Borgermøde om parken.,3\ns3,"Tekst.",0\n', encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"labels\.csv:3: cannot parse the CSV from this line on .*quote"):
        import_labels(path, fmt="csv", codebook=codebook)


def test_cli_prints_one_line_without_traceback(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"id": 1, "data": "tekst", "annotations": "x"}]), encoding="utf-8")
    res = CliRunner().invoke(app, ["label", "import", str(path), "--format", "labelstudio", "--out", str(tmp_path / "o.jsonl")])
    assert res.exit_code == 1, res.output
    assert "tasks.json:task 1" in res.output and "Traceback" not in res.output and not isinstance(res.exception, AttributeError)
