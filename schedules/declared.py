"""Every scheduled job: importing this module imports each module that declares one (schedules/registry.py).

The order here is the order `louzu jobs list` shows them in.
"""

from __future__ import annotations

from schedules import ranking, honour, overdue, digest, expiry, posts, chains, housekeeping  # noqa: F401, I001  (their @jobs.job declarations)
from schedules.registry import jobs

__all__ = ["jobs"]
