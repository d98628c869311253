"""The settings of scheduled posts and the outbox: defaults, off switches, one clear line for a bad value."""

from __future__ import annotations

import json
from datetime import time

import pytest

from bot.core.settings import Settings, SettingsError
from schedules.declared import jobs
from schedules.scheduler import sync_url, wanted_jobs


def test_defaults_and_switches():
    settings = Settings.from_mapping({})
    assert jobs.get("weekly_ranking").cron(settings) == "0 9 * * mon"
    assert jobs.get("honour_list").cron(settings) == "0 10 1 * *"
    assert (settings.overdue_hours, settings.escalate_hours) == (48, 96)
    assert settings.quiet_hours == (time(22), time(7)) and settings.pace_seconds == (1.5, 3.0)
    assert (settings.reply_burst, settings.reply_per_second) == (5, 1.0)
    assert [r.name for r in settings.reminders] == ["daily_patrol", "weekly_cleanup"]
    assert set(wanted_jobs(settings)) == {"job:weekly_ranking", "job:honour_list", "job:overdue_reports",
                                          "job:pending_digest", "job:expire_claims", "job:close_unconfirmed",
                                          "job:prune_processed", "job:chain_reminders", "job:close_chains",
                                          "reminder:daily_patrol", "reminder:weekly_cleanup"}
    off = Settings.from_mapping({"LOUZU_WEEKLY_RANKING_AT": "off", "LOUZU_HONOUR_LIST_AT": "OFF",
                                 "LOUZU_REMINDERS_FILE": "off", "LOUZU_QUIET_HOURS": "off"})
    assert jobs.get("weekly_ranking").cron(off) is None and off.reminders == () and off.quiet_hours is None
    assert set(wanted_jobs(off)) == {"job:overdue_reports", "job:pending_digest", "job:expire_claims",
                                     "job:close_unconfirmed", "job:prune_processed", "job:chain_reminders",
                                     "job:close_chains"}
    assert Settings.from_mapping({"LOUZU_PACE_SECONDS": "2"}).pace_seconds == (2.0, 2.0)


def test_the_old_name_of_the_scheduler_retry_still_works_and_says_so():
    settings = Settings.from_mapping({"LOUZU_LEADER_RETRY_SECONDS": "0.5"})
    assert settings.scheduler_retry_seconds == 0.5
    assert settings.notes == ("LOUZU_LEADER_RETRY_SECONDS 已改名为 LOUZU_SCHEDULER_RETRY_SECONDS，请在设置里改成新名字",)
    both = Settings.from_mapping({"LOUZU_LEADER_RETRY_SECONDS": "0.5", "LOUZU_SCHEDULER_RETRY_SECONDS": "2"})
    assert both.scheduler_retry_seconds == 2 and both.notes == ()


@pytest.mark.parametrize("key, value", [
    ("LOUZU_WEEKLY_RANKING_AT", "every monday"),
    ("LOUZU_WEEKLY_RANKING_AT", "0 9 * * 1"),  # cron's 1 is Monday, APScheduler's is Tuesday: names only
    ("LOUZU_HONOUR_LIST_AT", "0 25 1 * *"),
    ("LOUZU_OVERDUE_CHECK_AT", "* * *"),
    ("LOUZU_OVERDUE_HOURS", "0"),
    ("LOUZU_ESCALATE_HOURS", "24"),  # must be more than LOUZU_OVERDUE_HOURS (48)
    ("LOUZU_MISFIRE_GRACE_HOURS", "lots"),
    ("LOUZU_QUIET_HOURS", "22-7"),
    ("LOUZU_QUIET_HOURS", "22:00-22:00"),
    ("LOUZU_PACE_SECONDS", "3-1.5"),
    ("LOUZU_REPLY_BURST", "0"),
    ("LOUZU_REPLY_PER_SECOND", "-1"),
    ("LOUZU_SEND_ATTEMPTS", "many"),
    ("LOUZU_SCHEDULER_RETRY_SECONDS", "0"),
    ("LOUZU_REMINDERS_FILE", "/nowhere/reminders.json"),
])
def test_a_bad_value_names_its_key(key, value):
    with pytest.raises(SettingsError, match=f"^{key}：[^\\n]*[\u4e00-\u9fff]"):
        Settings.from_mapping({key: value})


@pytest.mark.parametrize("content, problem", [
    ("not json", "不是有效的 JSON"),
    ('{"name": "x"}', "要写一个列表"),
    ('[{"name": "a b", "at": "0 8 * * *", "text": "x"}]', "英文字母、数字"),
    ('[{"name": "a", "at": "0 8 * * 6", "text": "x"}]', "星期要写"),
    ('[{"name": "a", "at": "0 8 * * *", "text": ""}]', "要写 text"),
    ('[{"name": "a", "at": "0 8 * * *", "text": "x", "mention": ["居民"]}]', "mention 只能写"),
    ('[{"name": "a", "at": "0 8 * * *", "text": "x"}, {"name": "a", "at": "0 9 * * *", "text": "y"}]', "有两条提醒"),
])
def test_a_bad_reminders_file_says_what_is_wrong(tmp_path, content, problem):
    path = tmp_path / "reminders.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=f"^LOUZU_REMINDERS_FILE：.*{problem}"):
        Settings.from_mapping({"LOUZU_REMINDERS_FILE": str(path)})


def test_reminders_are_edited_in_a_file(tmp_path):
    path = tmp_path / "reminders.json"
    path.write_text(json.dumps([{"name": "trash", "at": "30  7 * * tue", "mention": ["保洁"], "text": "今天收大件垃圾"}],
                               ensure_ascii=False), encoding="utf-8")
    settings = Settings.from_mapping({"LOUZU_REMINDERS_FILE": str(path)})
    assert [(r.name, r.at, r.text) for r in settings.reminders] == [("trash", "30 7 * * tue", "今天收大件垃圾")]
    assert wanted_jobs(settings)["reminder:trash"] == ("30 7 * * tue", ("louzu", "reminder", "trash"))


def test_the_job_store_reaches_the_same_database_synchronously():
    assert str(sync_url("sqlite+aiosqlite:///data/louzu.db")) == "sqlite:///data/louzu.db"
    assert sync_url("postgresql+asyncpg://u:p@h:5432/db").render_as_string(hide_password=False) == \
        "postgresql+psycopg://u:p@h:5432/db"


def test_wechaty_cache_goes_under_the_data_directory(monkeypatch, tmp_path):
    from bot.transport.wechaty_compat import use_data_dir

    monkeypatch.setenv("CACHE_DIR", "unset below; restored after the test")
    monkeypatch.delenv("CACHE_DIR")
    use_data_dir(tmp_path / "data")
    import os

    assert os.environ["CACHE_DIR"] == str(tmp_path / "data" / "wechaty-cache")
    use_data_dir(tmp_path / "other")  # one set by hand (or earlier) is kept
    assert os.environ["CACHE_DIR"] == str(tmp_path / "data" / "wechaty-cache")


def test_louzu_doctor_reports_jobs_and_the_outbox(monkeypatch, tmp_path, capsys):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOUZU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("LOUZU_ADMIN_IDS", "王主任")
    monkeypatch.setenv("LOUZU_TRANSPORT", "console")
    assert main(["doctor"]) == 1  # no database here yet (or the wrong folder): said, and none made
    out = capsys.readouterr().out
    assert "✗ │ 数据库" in out and "没有数据库" in out
    assert not (tmp_path / "data" / "louzu.db").exists()
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "✗" not in out
    assert "✓ │ 数据库结构" in out and "待发 0，已发 0，失败 0" in out and "– │ 微信网关" in out


def test_a_bad_job_declaration_fails_where_it_is_made():
    from schedules.registry import JobRegistry, RegistryError

    registry = JobRegistry()

    @registry.job("tidy_up", at="LOUZU_TIDY_UP_AT", default="0 7 * * sat", aliases=("tidy",))
    async def tidy_up(ctx):
        return []

    assert registry.get("tidy").name == "tidy_up" and registry.get("tidy").cron(Settings()) == "0 7 * * sat"
    assert registry.get("tidy").cron(Settings(job_times={"LOUZU_TIDY_UP_AT": None})) is None
    for name, options, problem in [
        ("tidy_up", {}, "declared twice"),
        ("other", {"at": "LOUZU_OTHER"}, "must be named LOUZU_…_AT"),
        ("other", {"at": "LOUZU_OTHER_AT"}, "a default time is needed"),
        ("other", {"at": "LOUZU_OTHER_AT", "default": "0 7 * * 6"}, "星期要写"),
        ("other", {"once_per": "day"}, "once_per"),
    ]:
        with pytest.raises((RegistryError, ValueError), match=problem):
            registry.job(name, **options)(tidy_up)
