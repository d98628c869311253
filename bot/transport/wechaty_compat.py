"""Import python-wechaty safely on Python 3.11+ (the one place its quirks live).

python-wechaty 0.10.7 declares a dataclass field whose default is a
``PuppetOptions`` instance.  Python 3.11 rejects unhashable dataclass defaults
("mutable default <class PuppetOptions> for field puppet_options is not
allowed"), so we give ``PuppetOptions`` identity hashing before ``wechaty`` is
imported.  The pins that go with it (``pyee<9``, ``urllib3<2``, Pillow for
image messages, and on 3.13 ``standard-telnetlib``) are in pyproject.toml.

Its plugin manager is another quirk (see ``NoPlugins``), and its logging a
third: every module gets its own stderr handler at the level of WECHATY_LOG
(INFO by default: a line for each message), and the puppet logs its token.
``route_wechaty_logs`` sends those loggers through ours instead, at our
level, with the token blotted out.  (The transport's own workarounds are in
bot/transport/wechaty.py, each where it is made.)
"""

from __future__ import annotations

import logging
import os
import warnings

# Names of the loggers python-wechaty made for itself while it was imported.
_WECHATY_LOGGERS: set[str] = set()


def use_data_dir(data_dir: str | os.PathLike[str]) -> None:
    """Keep python-wechaty's cache (and its own scheduler's job store) under louzu's data directory.

    Call before ``wechaty`` is imported; a CACHE_DIR set by hand is left as it is.
    """
    os.environ.setdefault("CACHE_DIR", os.path.join(os.fspath(data_dir), "wechaty-cache"))


def load_wechaty():
    """Return the ``wechaty`` module, patched so that it imports on 3.11+."""
    # wechaty's own scheduler and job store live under CACHE_DIR (default
    # ./.wechaty); callers set it to a folder under our data directory first.
    os.environ.setdefault("CACHE_DIR", os.path.join("data", "wechaty-cache"))
    before = set(logging.root.manager.loggerDict)
    from wechaty_puppet.schemas.puppet import PuppetOptions

    PuppetOptions.__hash__ = object.__hash__  # type: ignore[method-assign]
    with warnings.catch_warnings():
        # wechaty.plugin and wechaty_puppet_service import telnetlib (deprecated since 3.11)
        # for port probes; the warning is theirs, not ours, and comes once, at import.
        warnings.filterwarnings("ignore", message="'telnetlib' is deprecated", category=DeprecationWarning)
        # Python 3.13 removed it: there the standard-telnetlib backport (pyproject.toml) stands
        # in, and says so at import.
        warnings.filterwarnings("ignore", message="telnetlib was removed in Python 3.13",
                                category=DeprecationWarning)
        import wechaty
        import wechaty_puppet_service  # noqa: F401 - imported by wechaty later on; its loggers too

    for name in set(logging.root.manager.loggerDict) - before:
        logger = logging.root.manager.loggerDict[name]
        if isinstance(logger, logging.Logger) and not logger.propagate:  # made by wechaty_puppet.get_logger
            _WECHATY_LOGGERS.add(name)
    return wechaty


class NoPlugins:
    """Stands in for python-wechaty's plugin manager (``Wechaty._plugin_manager``; louzu uses no
    python-wechaty plugins).

    The real one, at every login, starts an APScheduler that refuses to start twice (so after a
    reconnect the login handler fails before it reaches us), and requires port 5000 to be free
    for a plugin web server (so the login handler also fails when another program holds it).
    """

    async def start(self) -> None:
        return None

    async def emit_events(self, *args, **kwargs) -> None:
        return None


class RedactSecret(logging.Filter):
    """Blots a secret (the puppet service token) out of every record that passes."""

    def __init__(self, secret: str, mask: str = "***") -> None:
        super().__init__()
        self.secret, self.mask = secret, mask

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secret:
            message = record.getMessage()
            if self.secret in message:
                record.msg, record.args = message.replace(self.secret, self.mask), ()
        return True


def _not_a_config_note(record: logging.LogRecord) -> bool:
    """PuppetService warns whenever its options and the environment both name the endpoint or the
    token ("there are two tokens …"): that is how louzu configures it, on purpose."""
    return not str(record.msg).startswith("there are ")


def route_wechaty_logs(level: int | str, token: str) -> None:
    """python-wechaty logs through our handlers (our format) at ``level``, never showing ``token``."""
    redact = RedactSecret(token)
    for name in _WECHATY_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(level)
        for old in [f for f in logger.filters if isinstance(f, RedactSecret) or f is _not_a_config_note]:
            logger.removeFilter(old)
        logger.addFilter(redact)
        if name == "PuppetService":
            logger.addFilter(_not_a_config_note)
