"""#定时 time phrases: what each one means, read against a fixed now (Wednesday 2026-11-25 10:00, Shanghai)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.cron import cron_trigger
from schedules.phrases import PhraseError, parse_when

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("phrase, text, cron, first", [
    ("每天 07:30", "每天 07:30", "30 7 * * *", "2026-11-26 07:30"),
    ("每日 7:30", "每天 07:30", "30 7 * * *", "2026-11-26 07:30"),
    ("每天 18:00", "每天 18:00", "0 18 * * *", "2026-11-25 18:00"),
    ("每周六 09:00", "每周六 09:00", "0 9 * * sat", "2026-11-28 09:00"),
    ("每周一 09:00", "每周一 09:00", "0 9 * * mon", "2026-11-30 09:00"),
    ("每周三 09:00", "每周三 09:00", "0 9 * * wed", "2026-12-02 09:00"),
    ("每周日 20:00", "每周日 20:00", "0 20 * * sun", "2026-11-29 20:00"),
    ("每周天 20:00", "每周日 20:00", "0 20 * * sun", "2026-11-29 20:00"),
    ("每星期五 08:00", "每周五 08:00", "0 8 * * fri", "2026-11-27 08:00"),
    ("每月1日 10:00", "每月1日 10:00", "0 10 1 * *", "2026-12-01 10:00"),
    ("每月15号 10:00", "每月15日 10:00", "0 10 15 * *", "2026-12-15 10:00"),
    ("每月28日 10:00", "每月28日 10:00", "0 10 28 * *", "2026-11-28 10:00"),
    ("每月31日 10:00", "每月最后一天 10:00", "0 10 last * *", "2026-11-30 10:00"),
    ("每月最后一天 18:00", "每月最后一天 18:00", "0 18 last * *", "2026-11-30 18:00"),
    ("每月底 18:00", "每月最后一天 18:00", "0 18 last * *", "2026-11-30 18:00"),
])
def test_repeating_phrases(phrase, text, cron, first):
    when, rest = parse_when(f"{phrase} 请大家清理门前杂物", NOW, TZ)
    assert (when.text, when.cron, when.run_at, rest) == (text, cron, None, "请大家清理门前杂物")
    fire = cron_trigger(when.cron, TZ).get_next_fire_time(None, NOW.astimezone(TZ))
    assert f"{fire:%Y-%m-%d %H:%M}" == first


@pytest.mark.parametrize("phrase, moment, said", [
    ("明天 08:30", "2026-11-26 08:30", "11月26日 08:30"),
    ("后天 08:30", "2026-11-27 08:30", "11月27日 08:30"),
    ("今天 18:00", "2026-11-25 18:00", "11月25日 18:00"),
    ("今天 09:00", "2026-11-25 09:00", "11月25日 09:00"),  # in the past: parsed, and refused by #定时
    ("2026-12-01 09:00", "2026-12-01 09:00", "12月1日 09:00"),
    ("2026/12/1 9:00", "2026-12-01 09:00", "12月1日 09:00"),
    ("2027-01-01 00:00", "2027-01-01 00:00", "2027年1月1日 00:00"),  # another year says which
    ("12月1日 09:00", "2026-12-01 09:00", "12月1日 09:00"),  # the date as the replies write it
    ("11月25日 18:00", "2026-11-25 18:00", "11月25日 18:00"),  # today, later on
    ("1月5日 8点30", "2027-01-05 08:30", "2027年1月5日 08:30"),  # already past this year: the next one
    ("2027年3月1日 09:00", "2027-03-01 09:00", "2027年3月1日 09:00"),
    ("周六9点", "2026-11-28 09:00", "11月28日 09:00"),  # the coming Saturday, for #接龙
    ("星期六 9:30", "2026-11-28 09:30", "11月28日 09:30"),
    ("周三 18点", "2026-11-25 18:00", "11月25日 18:00"),  # today, later on
    ("周三 9点", "2026-12-02 09:00", "12月2日 09:00"),  # today's has passed: next week's
    ("周日 8点", "2026-11-29 08:00", "11月29日 08:00"),
    ("周天 8点", "2026-11-29 08:00", "11月29日 08:00"),
    ("周一 8点", "2026-11-30 08:00", "11月30日 08:00"),
])
def test_one_off_phrases(phrase, moment, said):
    when, rest = parse_when(f"{phrase} 停水通知", NOW, TZ)
    assert when.cron is None and rest == "停水通知"
    assert when.run_at == datetime.fromisoformat(moment).replace(tzinfo=TZ)
    assert when.text == said


# As people write times (now: Wednesday 25 November 2026, 10:00 in Shanghai): what each one is read as.
@pytest.mark.parametrize("phrase, said, first", [
    ("明早8点", "11月26日 08:00", "2026-11-26 08:00"),
    ("明早 8点", "11月26日 08:00", "2026-11-26 08:00"),
    ("今晚7点半", "11月25日 19:30", "2026-11-25 19:30"),
    ("明晚 八点", "11月26日 20:00", "2026-11-26 20:00"),
    ("今天 下午3点", "11月25日 15:00", "2026-11-25 15:00"),
    ("明天 下午三点一刻", "11月26日 15:15", "2026-11-26 15:15"),
    ("明天 上午九点", "11月26日 09:00", "2026-11-26 09:00"),
    ("明天 中午12点", "11月26日 12:00", "2026-11-26 12:00"),
    ("明天 9点15分", "11月26日 09:15", "2026-11-26 09:15"),
    ("明天 十点半", "11月26日 10:30", "2026-11-26 10:30"),
    ("后天 傍晚6点", "11月27日 18:00", "2026-11-27 18:00"),
    ("下周一 9点", "11月30日 09:00", "2026-11-30 09:00"),
    ("下周一 09:00", "11月30日 09:00", "2026-11-30 09:00"),
    ("下星期五 上午10点", "12月4日 10:00", "2026-12-04 10:00"),
    ("周六9点", "11月28日 09:00", "2026-11-28 09:00"),
    ("星期六 上午9点", "11月28日 09:00", "2026-11-28 09:00"),
    ("周三 11点", "11月25日 11:00", "2026-11-25 11:00"),  # today, later on
    ("周三 9点", "12月2日 09:00", "2026-12-02 09:00"),  # today's is past: next week's
    ("这周五 晚上7点", "11月27日 19:00", "2026-11-27 19:00"),
    ("12月1日 9:00", "12月1日 09:00", "2026-12-01 09:00"),
    ("12月1号 上午9点", "12月1日 09:00", "2026-12-01 09:00"),
    ("每周三 下午2点", "每周三 14:00", "2026-11-25 14:00"),
    ("每天早上7点半", "每天 07:30", "2026-11-26 07:30"),
    ("每天 晚上8点", "每天 20:00", "2026-11-25 20:00"),
    ("每周日 晚上8点", "每周日 20:00", "2026-11-29 20:00"),
    ("每月1号 上午10点", "每月1日 10:00", "2026-12-01 10:00"),
    ("每个月15号 9点", "每月15日 09:00", "2026-12-15 09:00"),
])
def test_time_phrases_people_use(phrase, said, first):
    when, rest = parse_when(f"{phrase} 请大家清理门前杂物", NOW, TZ)
    assert (when.text, rest) == (said, "请大家清理门前杂物")
    fire = when.run_at if when.cron is None else cron_trigger(when.cron, TZ).get_next_fire_time(None, NOW.astimezone(TZ))
    assert f"{fire.astimezone(TZ):%Y-%m-%d %H:%M}" == first


@pytest.mark.parametrize("phrase, hour", [("明天 3点", 3), ("每天 5点", 5), ("周六 2点半", 2)])
def test_an_hour_from_1_to_6_without_morning_or_afternoon_is_asked_about(phrase, hour):
    with pytest.raises(PhraseError, match=f"{hour}点是早上还是下午？请写明，例如：下午{hour}点 或 早上{hour}点"):
        parse_when(f"{phrase} 开会", NOW, TZ)


def test_tomorrow_crosses_the_month_in_local_time():
    late = datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc)  # 23:30 on the 30th in Shanghai
    when, _ = parse_when("明天 08:00 x", late, TZ)
    assert when.run_at == datetime(2026, 12, 1, 8, 0, tzinfo=TZ)


@pytest.mark.parametrize("phrase", [
    "每天", "每天 25:00 x", "每天 07:60 x", "每周八 09:00 x", "每月0日 10:00 x", "每月32日 10:00 x",
    "2026-02-30 09:00 x", "09:00 每天 x", "明天早上 x", "x", "明天 晚上12点 x", "后天 上午15点 x", "周八 9点 x",
])
def test_phrases_that_do_not_parse(phrase):
    assert parse_when(phrase, NOW, TZ) is None


@pytest.mark.parametrize("expr", ["0 9 * * 1", "0 9 * *", "61 9 * * *", "0 9 * * monday-ish"])
def test_cron_settings_refuse_numbers_for_weekdays_and_nonsense(expr):
    with pytest.raises(ValueError):
        cron_trigger(expr, TZ)


def test_the_last_day_of_the_month_is_every_months_last_day():
    when, _ = parse_when("每月最后一天 18:00 交水费", NOW, TZ)
    trigger = cron_trigger(when.cron, TZ)
    fires, moment = [], NOW.astimezone(TZ)
    for _ in range(4):
        moment = trigger.get_next_fire_time(None, moment + timedelta(minutes=1))
        fires.append(f"{moment:%Y-%m-%d %H:%M}")
    assert fires == ["2026-11-30 18:00", "2026-12-31 18:00", "2027-01-31 18:00", "2027-02-28 18:00"]


@pytest.mark.parametrize("day", [29, 30])
def test_the_29th_and_30th_are_refused_with_the_reason(day):
    with pytest.raises(PhraseError, match=f"每月{day}日不是每个月都有（二月没有），请选 1–28 日，或写 每月最后一天 10:00"):
        parse_when(f"每月{day}日 10:00 交水费", NOW, TZ)
