"""samskab: measure how far Danish municipalities climb the co-creation ladder.

The package is organised one module per pipeline stage (ingest -> segment -> nlp ->
rules/labels -> models -> classify -> trends -> report). Heavy libraries are imported
lazily inside the functions that need them so that ``samskab --help`` starts fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

from pipeline.resources import resource_root  # noqa: E402 - after the version

#: configs/, data/ and models/: the installed package's copies, or the checkout's (pipeline.resources).
CONFIG_DIR = resource_root() / "configs"
DATA_DIR = resource_root() / "data"
MODELS_DIR = resource_root() / "models"
