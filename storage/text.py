"""Text as it is kept and shown again: no control characters, no marks that turn text around.

The bot cleans what comes in (bot/core/intake.py); the exports clean again what goes out,
also text kept before the bot did so.
"""

from __future__ import annotations

import re

import cn2an

# A terminal escape sequence (ESC [ … letter) goes whole, not just its ESC.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# C0 and C1 controls but tab, newline and carriage return; direction marks, embeddings, overrides
# and isolates; lone surrogates (which no database can store as UTF-8).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")


def clean(text: str) -> str:
    """``text`` without control characters (newlines and tabs stay) and without direction overrides."""
    if not text:
        return ""
    return _UNSAFE.sub("", _ESCAPES.sub("", text))


def chinese_number(text: str) -> int | None:
    """A whole number written in Chinese numerals (两, 十二, 一百零八, 一二), or None (cn2an reads it)."""
    try:
        value = cn2an.cn2an(text, "normal")
    except (ValueError, KeyError):
        return None
    return int(value) if value == int(value) else None
