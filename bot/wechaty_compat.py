"""Import python-wechaty safely on Python 3.11+ (the one place its quirks live).

python-wechaty 0.10.7 declares a dataclass field whose default is a
``PuppetOptions`` instance.  Python 3.11 rejects unhashable dataclass defaults
("mutable default <class PuppetOptions> for field puppet_options is not
allowed"), so we give ``PuppetOptions`` identity hashing before ``wechaty`` is
imported.  The pins that go with it (``pyee<9``, ``urllib3<2``, Pillow for
image messages) are in pyproject.toml.
"""

from __future__ import annotations

import os


def load_wechaty():
    """Return the ``wechaty`` module, patched so that it imports on 3.11+."""
    # wechaty's own scheduler and job store live under CACHE_DIR (default
    # ./.wechaty); callers set it to a folder under our data directory first.
    os.environ.setdefault("CACHE_DIR", os.path.join("data", "wechaty-cache"))
    from wechaty_puppet.schemas.puppet import PuppetOptions

    PuppetOptions.__hash__ = object.__hash__  # type: ignore[method-assign]
    import wechaty

    return wechaty
