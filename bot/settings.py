"""Settings, read once from the environment and `.env` (see config.example.env)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

TRANSPORTS = ("auto", "console", "wechaty")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(ValueError):
    """A setting has a value the bot cannot use; the message names the key."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    admin_ids: frozenset[str] = frozenset()
    bot_name: str = "楼组小助手"
    transport: str = "auto"
    puppet_token: str = ""
    puppet_endpoint: str = ""
    max_award: int = 50
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite+aiosqlite:///{self.data_dir / 'louzu.db'}")

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    def chosen_transport(self) -> str:
        """`auto` means wechaty when a puppet service is configured, else the console."""
        if self.transport != "auto":
            return self.transport
        return "wechaty" if self.puppet_token else "console"

    @classmethod
    def load(cls, env_file: str | os.PathLike[str] | None = ".env", environ: Mapping[str, str] | None = None) -> "Settings":
        """Settings from `.env` overlaid by the process environment (which wins)."""
        values: dict[str, str] = {}
        if env_file and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> "Settings":
        def get(key: str, default: str = "") -> str:
            return env.get(key, default).strip() or default

        data_dir = Path(get("LOUZU_DATA_DIR", "data"))
        tz_name = get("LOUZU_TIMEZONE", "Asia/Shanghai")
        try:
            timezone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"LOUZU_TIMEZONE: unknown time zone {tz_name!r} (e.g. Asia/Shanghai)") from None
        transport = get("LOUZU_TRANSPORT", "auto").lower()
        if transport not in TRANSPORTS:
            raise SettingsError(f"LOUZU_TRANSPORT: {transport!r} is not one of {', '.join(TRANSPORTS)}")
        token = get("WECHATY_PUPPET_SERVICE_TOKEN")
        if transport == "wechaty" and not token:
            raise SettingsError("WECHATY_PUPPET_SERVICE_TOKEN: required when LOUZU_TRANSPORT=wechaty")
        endpoint = get("WECHATY_PUPPET_SERVICE_ENDPOINT")
        if endpoint and not _is_host_port(endpoint):
            raise SettingsError(f"WECHATY_PUPPET_SERVICE_ENDPOINT: {endpoint!r} is not host:port (e.g. 127.0.0.1:8788)")
        max_award_text = get("LOUZU_MAX_AWARD", "50")
        if not max_award_text.isdigit() or not 1 <= int(max_award_text) <= 10000:
            raise SettingsError(f"LOUZU_MAX_AWARD: {max_award_text!r} is not a whole number from 1 to 10000")
        log_level = get("LOUZU_LOG_LEVEL", "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError(f"LOUZU_LOG_LEVEL: {log_level!r} is not one of {', '.join(LOG_LEVELS)}")
        bot_name = get("LOUZU_BOT_NAME", "楼组小助手")
        if any(ch.isspace() for ch in bot_name):
            raise SettingsError(f"LOUZU_BOT_NAME: {bot_name!r} must not contain spaces")
        return cls(
            data_dir=data_dir,
            database_url=normalise_database_url(get("DATABASE_URL")),
            timezone=timezone,
            admin_ids=frozenset(x.strip() for x in get("LOUZU_ADMIN_IDS").split(",") if x.strip()),
            bot_name=bot_name,
            transport=transport,
            puppet_token=token,
            puppet_endpoint=endpoint,
            max_award=int(max_award_text),
            log_level=log_level,
        )


def normalise_database_url(url: str) -> str:
    """Accept the URLs people write and pick the asyncio driver for them."""
    if not url:
        return ""
    for plain, async_form in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return async_form + url[len(plain):]
    if url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        return url
    raise SettingsError(f"DATABASE_URL: {url.split('://')[0]!r} is not supported (use sqlite:///path or postgresql://…)")


def _is_host_port(value: str) -> bool:
    host, sep, port = value.rpartition(":")
    return bool(sep and host and port.isdigit() and 0 < int(port) < 65536)
