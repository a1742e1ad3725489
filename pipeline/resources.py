"""Files that ship with samskab: codebook, default config, municipality table, models.

The repository keeps them at the top level (``configs/``, ``data/``, ``models/``). A built
wheel carries copies inside the package, under ``pipeline/_data/`` (``setup.py`` copies them
at build time), and they are read from there through importlib.resources. A checkout or an
editable install has no ``_data`` folder and reads the repository's own files, so editing
``configs/codebook.yaml`` takes effect without reinstalling.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: Folder inside the installed package that holds the build-time copies.
PACKAGED = "_data"
#: What a wheel ships, relative to the repository root (setup.py reads this list).
SHIPPED = ("configs/codebook.yaml", "configs/default.yaml", "data/municipalities.csv", "models/default", "models/fast")

#: Repository root when running from a checkout.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def resource_root() -> Path:
    """Where configs/, data/ and models/ are read: the wheel's copies if installed, else the checkout."""
    packaged = Path(str(files("pipeline") / PACKAGED))
    return packaged if packaged.is_dir() else PROJECT_ROOT
