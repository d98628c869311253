"""Where the benchmarks keep the streets they generate, and how one is made once: a run cut short leaves
no half-made database behind to be measured next time."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

CACHE = Path(os.environ.get("LOUZU_BENCH_CACHE", Path.home() / ".cache" / "louzu-bench"))


def made_once(path: Path, make: Callable[[Path], None]) -> Path:
    """``path`` as cached, or made now: ``make`` fills a file beside it, which takes its name when complete."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        started = time.perf_counter()
        make(partial)
        partial.rename(path)
        print(f"  (made {path} in {time.perf_counter() - started:.0f} s)", flush=True)
    return path
