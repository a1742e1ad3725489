#!/usr/bin/env python
"""Check that a normal (not editable) `pip install .` works from an unrelated folder.

Builds the wheel from this checkout, installs it with --no-deps into a fresh venv that
sees the current environment's dependencies (a .pth line to its site-packages: a plain
path, so that environment's editable samskab is NOT picked up), then, from an empty temp
folder with no PYTHONPATH, runs the installed `samskab explain` and `samskab classify`
with the packaged default model, and checks that `pipeline` was imported from the venv.

Usage: python scripts/check_install.py [--keep DIR]   (exit 0 when everything works)
Used by .ci/run and tests/test_install.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    ("a", "Byrådet nedsætter et § 17, stk. 4-udvalg med borgere og foreninger, der sammen udvikler planen."),
    ("b", "Forslaget til lokalplan sendes i offentlig høring i otte uger."),
]


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _setuptools_ok() -> bool:
    """True when this environment can build the wheel itself (pyproject: setuptools>=77)."""
    try:
        from importlib.metadata import version

        return int(version("setuptools").split(".")[0]) >= 77
    except Exception:  # noqa: BLE001 - missing or unparsable: let pip build in isolation
        return False


def check_install(work: Path) -> dict:
    """Build, install and run; returns what was checked. Raises RuntimeError on any failure."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    dist, env_dir, run_dir = work / "dist", work / "venv", work / "elsewhere"
    run_dir.mkdir(parents=True)
    # this environment's setuptools when it is new enough (fast, offline); else pip's isolated build (pip's cache)
    isolation = ["--no-build-isolation"] if _setuptools_ok() else []
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation, "-w", str(dist), str(ROOT)], work, env)
    wheel = next(dist.glob("samskab-*.whl"))
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], run_dir, env).strip())
    (site / "_samskab_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps", str(wheel)], run_dir, env)
    where = _run([str(py), "-c", "import pipeline, pipeline.models as m; print(pipeline.__file__); print(m.DEFAULT_MODEL_DIR)"], run_dir, env).split()
    if not all(Path(p).resolve().is_relative_to(env_dir.resolve()) for p in where):
        raise RuntimeError(f"the installed package is not the one imported: {where}")
    samskab = str(env_dir / "bin" / "samskab")
    explained = _run([samskab, "explain", TEXTS[0][1]], run_dir, env)
    if "rung" not in explained:
        raise RuntimeError(f"samskab explain printed no rung:\n{explained}")
    (run_dir / "in.jsonl").write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in TEXTS), encoding="utf-8")
    _run([samskab, "classify", "in.jsonl", "--out", "out.jsonl"], run_dir, env)
    rows = [json.loads(line) for line in (run_dir / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    if [r["id"] for r in rows] != [i for i, _ in TEXTS] or any(r["rung"] not in range(5) for r in rows):
        raise RuntimeError(f"samskab classify wrote unexpected records: {rows}")
    return {"wheel": wheel.name, "package": where[0], "model": where[1], "rungs": [r["rung"] for r in rows]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Work in this (new) folder and keep it.")
    args = parser.parse_args()
    try:
        if args.keep:
            result = check_install(args.keep)
        else:
            with tempfile.TemporaryDirectory(prefix="samskab-install-") as tmp:
                result = check_install(Path(tmp))
    except RuntimeError as e:
        print(f"check_install: FAILED: {e}", file=sys.stderr)
        return 1
    print(f"check_install: ok: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
