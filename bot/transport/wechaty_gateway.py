"""Finding and reaching the puppet service (the gateway) before python-wechaty connects to it."""

from __future__ import annotations

import asyncio
import contextlib

import requests

CONNECT_TIMEOUT = 5.0
DISCOVERY_URL = "https://api.chatie.io/v0/hosties/{token}"


class NotConnected(ConnectionError):
    """No gateway connection to go through just now."""


async def discover_endpoint(token: str) -> str:
    """host:port of the gateway that serves ``token``, from Wechaty's token discovery service."""
    return await asyncio.to_thread(_discover, token)


def _discover(token: str) -> str:
    try:
        response = requests.get(DISCOVERY_URL.format(token=token), timeout=10)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        # Only the kind of error: its text would carry the URL, and so the token.
        raise NotConnected(f"token discovery failed ({type(error).__name__})") from None
    if not isinstance(data, dict):
        data = {}
    host, port = data.get("host") or data.get("ip"), data.get("port")  # newer answers say host, older ip
    if not host or host == "0.0.0.0" or not port:
        raise NotConnected("token discovery knows no gateway for this token just now")
    return f"{host}:{port}"


async def check_reachable(endpoint: str) -> None:
    """Fail fast when nothing listens there (python-wechaty's own probe blocks for up to 3 s)."""
    host, _, port = endpoint.rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host.strip("[]"), int(port)), CONNECT_TIMEOUT)
    except (OSError, asyncio.TimeoutError) as error:
        raise NotConnected(f"nothing answers at {endpoint} ({type(error).__name__})") from None
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
