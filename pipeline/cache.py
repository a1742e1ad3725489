"""samskab's cache folder: copies of things that are slow to rebuild at every start.

The model's state as plain arrays (``models.state_cache``), the compound splitter's trie
(``features``) and py3langid's decompressed model (``lang``) live here. A cache is only ever an
optimisation: when the folder cannot be made or written (read-only home, a file in the way, a
full disk) the caller rebuilds in memory and nothing fails. ``SAMSKAB_CACHE_DIR`` moves the
folder; an empty value turns caching off.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def cache_dir() -> Path | None:
    """Where cached copies live (None: caching off)."""
    override = os.environ.get("SAMSKAB_CACHE_DIR")
    if override is not None:
        return Path(override) if override else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "samskab"


def write_cached(path: Path, write: Callable[[Path], None]) -> bool:
    """Let ``write`` fill a temporary file of its own next to ``path``, then move it into place.

    Each writer gets its own temporary name (two processes or threads building the same copy do
    not collide, and the last move wins with a whole file). Returns False, with nothing left
    behind, when the folder or the file cannot be written.
    """
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        write(tmp)
        os.replace(tmp, path)
        return True
    except (OSError, ValueError, RuntimeError):
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return False
