"""Secrets never reach a log: every record of every logger, at every level, is blotted as it is made.

The puppet service's token is a password: python-wechaty logs it, and urllib3 logs the
URL of the token discovery request (``GET /v0/hosties/<token>``) at DEBUG. A filter on
some loggers misses the others (and handlers added later), so the blotting is done
where every record is made: in the log record factory, installed once for the process.
"""

from __future__ import annotations

import logging
import traceback
from urllib.parse import quote

MASK = "***"
# Logging is the process's own; so is this list of what it must never show.
_SECRETS: set[str] = set()
_installed = False


def never_log(secret: str) -> None:
    """From now on no log record carries ``secret`` (nor its URL-quoted form), in its message or traceback."""
    global _installed
    if not secret:
        return
    _SECRETS.update({secret, quote(secret, safe=""), quote(secret)})
    if not _installed:
        make = logging.getLogRecordFactory()

        def blotted(*args, **kwargs) -> logging.LogRecord:
            record = make(*args, **kwargs)
            blot(record)
            return record

        logging.setLogRecordFactory(blotted)
        _installed = True


def _without(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def blot(record: logging.LogRecord) -> None:
    """Take every secret out of ``record``: its message (arguments merged in), its traceback, its stack."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: the logging module reports it later, as it would have
        message = str(record.msg)
    if any(secret in message for secret in _SECRETS):
        record.msg, record.args = _without(message), ()
    if record.exc_info and not record.exc_text:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if any(secret in text for secret in _SECRETS):
            record.exc_text = _without(text)  # what formatters print instead of formatting exc_info again
    if record.stack_info and any(secret in record.stack_info for secret in _SECRETS):
        record.stack_info = _without(record.stack_info)
