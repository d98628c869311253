"""Settings, read once from the environment and `.env` (see config.example.env)."""

from __future__ import annotations

import json
import os
import ssl
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.core.cron import cron_trigger
from bot.core.reminders import DEFAULT_FILE as DEFAULT_REMINDERS
from bot.core.reminders import Reminder, read_reminders

TRANSPORTS = ("auto", "console", "wechaty")
# Settings that were renamed: the old name still works, and the log says so once at start.
RENAMED = {"LOUZU_LEADER_RETRY_SECONDS": "LOUZU_SCHEDULER_RETRY_SECONDS"}
PUPPET_TLS = ("auto", "on", "off")  # auto: TLS, falling back (with a warning) for a gateway that speaks only plain
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SILENT_BEATS = 3  # heartbeats an account may miss before it is taken as dead (several accounts)

# Report categories: (category, words that suggest it), first match wins.
CategoryTable = tuple[tuple[str, tuple[str, ...]], ...]


class SettingsError(ValueError):
    """A setting has a value the bot cannot use; the message names the key."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    admin_ids: frozenset[str] = frozenset()
    bot_name: str = "楼组小助手"
    community_name: str = ""  # shown at the head of the honour list; empty: not shown
    transport: str = "auto"
    puppet_token: str = ""
    puppet_endpoint: str = ""
    puppet_tls: str = "auto"
    puppet_tls_ca_cert: str = ""  # PEM; empty: the Wechaty community's root (bot/transport/puppet_channel.py)
    puppet_tls_server_name: str = ""  # empty: from the token
    max_award: int = 50
    log_level: str = "INFO"
    thanks_per_day: int = 3
    claim_expiry_days: int = 7
    report_handling_hours: int = 48
    star_points_target: int = 20
    star_weights: tuple[tuple[str, float], ...] = (("participation", 0.4), ("patrol", 0.2), ("reports", 0.2),
                                                   ("points", 0.2))
    max_photo_bytes: int = 10 * 1024 * 1024
    report_bonus: int = 2
    report_categories: CategoryTable | None = None  # None: the built-in table in handlers/reports.py
    # Scheduled jobs and the outbox (schedules/, bot/core/outbox.py). A job's time is a crontab
    # line in the community's time zone.
    committee_room: str = ""
    overdue_hours: int = 48
    escalate_hours: int = 96
    # LOUZU_…_AT keys given in the environment: a crontab line, or None for off. A job not named
    # here runs at the default declared with it (schedules/registry.py).
    job_times: Mapping[str, str | None] = field(default_factory=dict)
    reminders: tuple[Reminder, ...] | None = None  # None: the built-in file; () : none
    misfire_grace_hours: float = 12.0
    quiet_hours: tuple[time, time] | None = (time(22, 0), time(7, 0))
    pace_seconds: tuple[float, float] = (1.5, 3.0)
    reply_burst: int = 5
    reply_per_second: float = 1.0
    send_attempts: int = 5
    scheduler_retry_seconds: float = 5.0
    outbox_poll_seconds: float = 2.0
    heartbeat_seconds: float = 30.0  # several accounts: each process says it is alive this often
    # Limits: one resident must never slow the bot for everyone (bot/core/dispatcher.py, handlers).
    commands_per_minute: int = 10
    open_reports_per_person: int = 5
    pending_claims_per_person: int = 5
    processed_retention_days: int = 30
    # The committee's web desk (bot/web/): the key signing its session cookies (empty: a new one at
    # each start, so staff sign in again after a restart), and whether it is reached over HTTPS.
    web_secret: str = ""
    web_https: bool = False
    notes: tuple[str, ...] = ()  # what the log should say once it is set up (an old setting's name, say)

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite+aiosqlite:///{self.data_dir / 'louzu.db'}")
        if self.reminders is None:
            object.__setattr__(self, "reminders", read_reminders(DEFAULT_REMINDERS, self.timezone))

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def silent_after(self) -> timedelta:
        """An account whose process has not said it is alive for this long is taken as dead."""
        return timedelta(seconds=SILENT_BEATS * self.heartbeat_seconds)

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
            raise SettingsError(f"LOUZU_TIMEZONE：“{tz_name}”不是已知的时区，请写时区名，例如 Asia/Shanghai") from None
        transport = get("LOUZU_TRANSPORT", "auto").lower()
        if transport not in TRANSPORTS:
            raise SettingsError(f"LOUZU_TRANSPORT：“{transport}”不可用，只能写 {'、'.join(TRANSPORTS)} 之一")
        token = get("WECHATY_PUPPET_SERVICE_TOKEN")
        if transport == "wechaty" and not token:
            raise SettingsError("WECHATY_PUPPET_SERVICE_TOKEN：LOUZU_TRANSPORT=wechaty 时必须填写（微信服务给的 token）")
        endpoint = get("WECHATY_PUPPET_SERVICE_ENDPOINT")
        if endpoint and not _is_host_port(endpoint):
            raise SettingsError(f"WECHATY_PUPPET_SERVICE_ENDPOINT：“{endpoint}”不对，要写 地址:端口，例如 127.0.0.1:8788")
        puppet_tls = get("WECHATY_PUPPET_SERVICE_TLS", "auto").lower()
        if puppet_tls not in PUPPET_TLS:
            raise SettingsError(f"WECHATY_PUPPET_SERVICE_TLS：“{puppet_tls}”不可用，只能写 {'、'.join(PUPPET_TLS)} 之一")
        max_award_text = get("LOUZU_MAX_AWARD", "50")
        if not max_award_text.isdigit() or not 1 <= int(max_award_text) <= 10000:
            raise SettingsError(f"LOUZU_MAX_AWARD：“{max_award_text}”不对，要写 1 到 10000 的整数")
        log_level = get("LOUZU_LOG_LEVEL", "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError(f"LOUZU_LOG_LEVEL：“{log_level}”不可用，只能写 {'、'.join(LOG_LEVELS)} 之一")
        whole = {key: _whole_number(key, get(key, default), low, high) for key, default, low, high in (
            ("LOUZU_THANKS_PER_DAY", "3", 0, 100),
            ("LOUZU_CLAIM_EXPIRY_DAYS", "7", 1, 365),
            ("LOUZU_REPORT_HANDLING_HOURS", "48", 1, 24 * 365),
            ("LOUZU_STAR_POINTS_TARGET", "20", 1, 100000),
        )}
        star_weights = _weights(get("LOUZU_STAR_WEIGHTS", "participation:0.4,patrol:0.2,reports:0.2,points:0.2"))
        photo_text = get("LOUZU_MAX_PHOTO_BYTES", str(10 * 1024 * 1024))
        if not photo_text.isdigit() or not 1024 <= int(photo_text) <= 100 * 1024 * 1024:
            raise SettingsError(f"LOUZU_MAX_PHOTO_BYTES：“{photo_text}”不对，要写 1024 到 {100 * 1024 * 1024} 的整数"
                                f"（字节数，10 MB 写 {10 * 1024 * 1024}）")
        bonus_text = get("LOUZU_REPORT_BONUS", "2")
        if not bonus_text.isdigit() or not 0 <= int(bonus_text) <= 1000:
            raise SettingsError(f"LOUZU_REPORT_BONUS：“{bonus_text}”不对，要写 0 到 1000 的整数")
        categories_path = get("LOUZU_REPORT_CATEGORIES")
        bot_name = get("LOUZU_BOT_NAME", "楼组小助手")
        if any(ch.isspace() for ch in bot_name):
            raise SettingsError(f"LOUZU_BOT_NAME：“{bot_name}”不能有空格")
        # Every LOUZU_…_AT is a job's time (the jobs and their defaults: schedules/registry.py).
        job_times = {key: _cron_or_off(key, get(key), timezone) for key in sorted(env)
                     if key.startswith("LOUZU_") and key.endswith("_AT") and get(key)}
        notes = []
        for old, new in RENAMED.items():
            if get(old) and not get(new):
                notes.append(f"{old} 已改名为 {new}，请在设置里改成新名字")
                env = {**env, new: get(old)}
        outbox = {key: _whole_number(key, get(key, default), low, high) for key, default, low, high in (
            ("LOUZU_OVERDUE_HOURS", "48", 1, 24 * 365),
            ("LOUZU_ESCALATE_HOURS", "96", 1, 24 * 365),
            ("LOUZU_REPLY_BURST", "5", 1, 1000),
            ("LOUZU_SEND_ATTEMPTS", "5", 1, 100),
        )}
        limits = {key: _whole_number(key, get(key, default), low, high) for key, default, low, high in (
            ("LOUZU_COMMANDS_PER_MINUTE", "10", 1, 10000),
            ("LOUZU_OPEN_REPORTS_PER_PERSON", "5", 1, 1000),
            ("LOUZU_PENDING_CLAIMS_PER_PERSON", "5", 1, 1000),
            ("LOUZU_PROCESSED_RETENTION_DAYS", "30", 1, 3650),
        )}
        if outbox["LOUZU_ESCALATE_HOURS"] <= outbox["LOUZU_OVERDUE_HOURS"]:
            raise SettingsError(f"LOUZU_ESCALATE_HOURS：{outbox['LOUZU_ESCALATE_HOURS']} 要大于 "
                                f"LOUZU_OVERDUE_HOURS（现在是 {outbox['LOUZU_OVERDUE_HOURS']}）")
        reminders_file = get("LOUZU_REMINDERS_FILE")
        if reminders_file.lower() == "off":
            reminders: tuple[Reminder, ...] = ()
        else:
            try:
                reminders = read_reminders(Path(reminders_file) if reminders_file else DEFAULT_REMINDERS, timezone)
            except ValueError as error:
                raise SettingsError(f"LOUZU_REMINDERS_FILE：{error}") from None
        return cls(
            data_dir=data_dir,
            database_url=normalise_database_url(get("DATABASE_URL")),
            timezone=timezone,
            admin_ids=frozenset(x.strip() for x in get("LOUZU_ADMIN_IDS").split(",") if x.strip()),
            bot_name=bot_name,
            community_name=get("LOUZU_COMMUNITY_NAME").strip(),
            transport=transport,
            puppet_token=token,
            puppet_endpoint=endpoint,
            puppet_tls=puppet_tls,
            puppet_tls_ca_cert=read_ca_cert(get("WECHATY_PUPPET_SERVICE_TLS_CA_CERT")),
            puppet_tls_server_name=get("WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME"),
            max_award=int(max_award_text),
            log_level=log_level,
            thanks_per_day=whole["LOUZU_THANKS_PER_DAY"],
            claim_expiry_days=whole["LOUZU_CLAIM_EXPIRY_DAYS"],
            report_handling_hours=whole["LOUZU_REPORT_HANDLING_HOURS"],
            star_points_target=whole["LOUZU_STAR_POINTS_TARGET"],
            star_weights=star_weights,
            max_photo_bytes=int(photo_text),
            report_bonus=int(bonus_text),
            report_categories=read_categories(categories_path) if categories_path else None,
            committee_room=get("LOUZU_COMMITTEE_ROOM"),
            overdue_hours=outbox["LOUZU_OVERDUE_HOURS"],
            escalate_hours=outbox["LOUZU_ESCALATE_HOURS"],
            job_times=job_times,
            reminders=reminders,
            misfire_grace_hours=_number("LOUZU_MISFIRE_GRACE_HOURS", get("LOUZU_MISFIRE_GRACE_HOURS", "12"), 0.1, 24 * 6),
            quiet_hours=_quiet_hours(get("LOUZU_QUIET_HOURS", "22:00-07:00")),
            pace_seconds=_pace(get("LOUZU_PACE_SECONDS", "1.5-3")),
            reply_burst=outbox["LOUZU_REPLY_BURST"],
            reply_per_second=_number("LOUZU_REPLY_PER_SECOND", get("LOUZU_REPLY_PER_SECOND", "1"), 0.01, 1000),
            send_attempts=outbox["LOUZU_SEND_ATTEMPTS"],
            scheduler_retry_seconds=_number("LOUZU_SCHEDULER_RETRY_SECONDS",
                                            get("LOUZU_SCHEDULER_RETRY_SECONDS", "5"), 0.05, 600),
            outbox_poll_seconds=_number("LOUZU_OUTBOX_POLL_SECONDS", get("LOUZU_OUTBOX_POLL_SECONDS", "2"),
                                        0.05, 600),
            heartbeat_seconds=_number("LOUZU_HEARTBEAT_SECONDS", get("LOUZU_HEARTBEAT_SECONDS", "30"), 0.05, 3600),
            commands_per_minute=limits["LOUZU_COMMANDS_PER_MINUTE"],
            open_reports_per_person=limits["LOUZU_OPEN_REPORTS_PER_PERSON"],
            pending_claims_per_person=limits["LOUZU_PENDING_CLAIMS_PER_PERSON"],
            processed_retention_days=limits["LOUZU_PROCESSED_RETENTION_DAYS"],
            web_secret=get("LOUZU_WEB_SECRET"),
            web_https=_on_off("LOUZU_WEB_HTTPS", get("LOUZU_WEB_HTTPS", "off")),
            notes=tuple(notes),
        )


def read_categories(path: str) -> CategoryTable:
    """The report category table from a JSON file: {"楼道堆物": ["堆物", "杂物"], …}, in order."""
    key = "LOUZU_REPORT_CATEGORIES"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError(f"{key}：读不到文件“{path}”（{error.strerror or error}）") from None
    except ValueError as error:
        raise SettingsError(f"{key}：“{path}”不是有效的 JSON（{error}）") from None
    if not isinstance(data, dict) or not data:
        raise SettingsError(f'{key}：“{path}”里要写一个对象，例如 {{"楼道堆物": ["堆物", "杂物"]}}')
    table = []
    for category, words in data.items():
        if not category.strip() or len(category.strip()) > 32:
            raise SettingsError(f"{key}：分类“{category}”要写 1 到 32 个字")
        if (not isinstance(words, list) or not words
                or not all(isinstance(w, str) and w.strip() for w in words)):
            raise SettingsError(f"{key}：“{category}”的关键词要写成一列不空的词，例如 [\"堆物\", \"杂物\"]")
        table.append((category.strip(), tuple(w.strip() for w in words)))
    return tuple(table)


def read_ca_cert(value: str) -> str:
    """WECHATY_PUPPET_SERVICE_TLS_CA_CERT as PEM: given as is (newlines may be written \\n, as for the
    Node.js gateway), or as the path of a PEM file."""
    key = "WECHATY_PUPPET_SERVICE_TLS_CA_CERT"
    if not value:
        return ""
    if "-----BEGIN" in value:
        pem = value.replace("\\n", "\n")
    else:
        try:
            pem = Path(value).read_text(encoding="ascii")
        except (OSError, UnicodeError) as error:
            raise SettingsError(f"{key}：读不到证书文件“{value}”（{getattr(error, 'strerror', None) or error}）") from None
    try:
        ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError):
        raise SettingsError(f"{key}：里面没有 PEM 格式的证书（-----BEGIN CERTIFICATE-----…）") from None
    return pem


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
    raise SettingsError(f"DATABASE_URL：不支持“{url.split('://')[0]}”，只能写 sqlite:///路径 或 postgresql://…")


def _on_off(key: str, text: str) -> bool:
    if text.lower() not in ("on", "off"):
        raise SettingsError(f"{key}：“{text}”不对，只能写 on 或 off")
    return text.lower() == "on"


def _whole_number(key: str, text: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise SettingsError(f"{key}：“{text}”不对，要写 {low} 到 {high} 的整数")
    return int(text)


def _number(key: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # also false for nan
        raise SettingsError(f"{key}：“{text}”不对，要写 {low:g} 到 {high:g} 之间的数")
    return value


def _cron_or_off(key: str, text: str, tz: ZoneInfo) -> str | None:
    """A job's time as a crontab line, or None when the setting says off."""
    if text.lower() == "off":
        return None
    try:
        cron_trigger(text, tz)
    except ValueError as error:
        raise SettingsError(f"{key}：{error}；不要这项任务请写 off") from None
    return " ".join(text.split())


def _clock_time(text: str) -> time | None:
    hour, sep, minute = text.strip().partition(":")
    if not (sep and hour.isdigit() and minute.isdigit() and len(minute) == 2):
        return None
    if not (0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
        return None
    return time(int(hour), int(minute))


def _quiet_hours(text: str) -> tuple[time, time] | None:
    """`22:00-07:00`: scheduled posts wait from the first time until the second; `off` for never."""
    if text.lower() == "off":
        return None
    start_text, _, end_text = text.partition("-")
    start, end = _clock_time(start_text), _clock_time(end_text)
    if start is None or end is None or start == end:
        raise SettingsError(f"LOUZU_QUIET_HOURS：“{text}”不对，要写 时:分-时:分，例如 22:00-07:00；不要免打扰请写 off")
    return start, end


def _pace(text: str) -> tuple[float, float]:
    """`1.5-3`: seconds between two paced sends, drawn at random between the two; `2` for exactly 2."""
    low_text, _, high_text = text.partition("-")
    try:
        low = float(low_text)
        high = float(high_text) if high_text else low
    except ValueError:
        low = high = -1.0
    if not 0 <= low <= high <= 3600:
        raise SettingsError(f"LOUZU_PACE_SECONDS：“{text}”不对，要写秒数（例如 2）或范围（例如 1.5-3）")
    return low, high


STAR_PARTS = ("participation", "patrol", "reports", "points")


def _weights(text: str) -> tuple[tuple[str, float], ...]:
    """`participation:0.4,patrol:0.2,…`: each part of the star rating and its weight."""
    weights: dict[str, float] = {}
    for item in text.split(","):
        name, _, value = item.partition(":")
        name = name.strip()
        try:
            weight = float(value)
        except ValueError:
            weight = -1.0
        if name not in STAR_PARTS or weight < 0:
            raise SettingsError(f"LOUZU_STAR_WEIGHTS：“{item.strip()}”不对，要写 项目:权重，项目是 {'、'.join(STAR_PARTS)} 之一，"
                                f"例如 participation:0.4,patrol:0.2,reports:0.2,points:0.2")
        weights[name] = weight
    if sum(weights.values()) <= 0:
        raise SettingsError("LOUZU_STAR_WEIGHTS：权重不能全是 0")
    return tuple((part, weights.get(part, 0.0)) for part in STAR_PARTS)


def _is_host_port(value: str) -> bool:
    host, sep, port = value.rpartition(":")
    return bool(sep and host and port.isdigit() and 0 < int(port) < 65536)
