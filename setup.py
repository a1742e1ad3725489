"""Build step only: copy the shipped data (pipeline.resources.SHIPPED) into the wheel.

The repository keeps configs/, data/ and models/ at the top level; a wheel carries copies
under pipeline/_data/ so an installed samskab runs from any folder. Editable installs read
the repository's files directly and copy nothing. Everything else is in pyproject.toml.
"""

import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = runpy.run_path(str(ROOT / "pipeline" / "resources.py"))["SHIPPED"]


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "pipeline" / "_data"
        for rel in SHIPPED:
            src, dst = ROOT / rel, target / rel
            if not src.exists():
                raise SystemExit(f"setup.py: {rel} is missing from the source tree; it must ship with the package")
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildWithData})
