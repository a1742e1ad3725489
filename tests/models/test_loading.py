"""Model folders that pass the hash check but cannot be read: a coded error, not a traceback (issue 16)."""

import hashlib
import json
import shutil

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import ModelError
from pipeline.models import MANIFEST, load_model


def _rehash(folder, name):
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"][name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    (folder / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage", [b"not a zip at all", b"PK\x03\x04 truncated"])
def test_corrupt_backend_file_with_updated_hash_is_a_model_error(tiny_model_dir, tmp_path, damage):
    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    name = next(n for n in json.loads((copy / MANIFEST).read_text())["files"] if n.endswith(".skops"))
    (copy / name).write_bytes(damage)
    _rehash(copy, name)
    with pytest.raises(ModelError, match=r"E030.*cannot be read.*retrain"):
        load_model(copy)
    res = CliRunner().invoke(app, ["explain", "Borgermøde om parken i aften.", "--model", str(copy)])
    assert res.exit_code == 1 and "E030" in res.output and "Traceback" not in res.output
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit)
