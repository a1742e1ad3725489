"""samskab: measure how far Danish municipalities climb the co-creation ladder.

The package is organised one module per pipeline stage (ingest -> segment -> nlp ->
rules/labels -> models -> classify -> trends -> report). Heavy libraries are imported
lazily inside the functions that need them so that ``samskab --help`` starts fast.
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

#: Repository root when running from a checkout (configs/, data/, models/ live here).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "configs"
DATA_DIR = PROJECT_ROOT / "data"
MODELS_DIR = PROJECT_ROOT / "models"
