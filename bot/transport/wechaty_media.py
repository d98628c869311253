"""Pictures from WeChat: a python-wechaty FileBox written to a local file for the bot to use."""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path

import requests

DOWNLOAD_TIMEOUT = 30  # seconds, for a picture the gateway hands over as a link

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class UnreadableFile(Exception):
    """A FileBox whose bytes we cannot get (a kind we do not read, a dead link…)."""


def file_name(message_id: str, box_name: str | None) -> str:
    """A safe local file name for a message's file, keeping the extension it came with."""
    suffix = Path(box_name or "").suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,5}", suffix):
        suffix = ".jpg"
    return _UNSAFE.sub("_", message_id)[:80] + suffix


async def save_file_box(box, target: Path, max_bytes: int) -> Path:
    """Write the FileBox's bytes to ``target``; at most ``max_bytes`` + 1 of them.

    One byte over the limit is kept on purpose: the report feature sees the file is too
    large and says so to the resident, instead of the photo silently going missing.
    """
    kind = box.type().name  # FileBoxType: Base64, Url, Buffer, QRCode, …
    if kind == "Base64":
        data = base64.b64decode(box.base64)[: max_bytes + 1]
    elif kind == "Buffer":  # read from the gateway by bot/transport/puppet_service.py
        data = box.buffer[: max_bytes + 1]
    elif kind == "Url":
        data = await asyncio.to_thread(_download, box.remoteUrl, max_bytes + 1, getattr(box, "headers", None))
    else:
        raise UnreadableFile(f"a {kind} FileBox")
    target.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(target.write_bytes, data)
    return target


def _download(url: str, limit: int, headers: dict | None = None) -> bytes:
    try:
        with requests.get(url, stream=True, timeout=DOWNLOAD_TIMEOUT, headers=headers or None) as response:
            response.raise_for_status()
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) >= limit:
                    break
            return bytes(data[:limit])
    except requests.RequestException as error:
        raise UnreadableFile(f"download failed: {error}") from None
