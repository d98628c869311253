"""Ledger invariants, concurrency, star-rating edge cases, cleaners' ranking and claim expiry."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import func, select

from bot.core.settings import Settings
from schedules.expiry import expire_claims
from schedules.registry import JobContext
from storage import ledger, queries
from storage.db import make_engine, make_sessionmaker, upgrade
from storage.models import Building, Claim, LedgerEntry, Member, Patrol, Redemption, Report
from storage.ratings import StarRating, cleaner_ranking, star_rating

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


# The ledger ---------------------------------------------------------------------

operations = st.lists(st.one_of(
    st.tuples(st.just("claim"), st.sampled_from(["捡垃圾", "清理楼道 2", "门前三包", "宣传"])),
    st.tuples(st.just("award"), st.integers(min_value=-5, max_value=60)),
    st.tuples(st.just("deduct"), st.integers(min_value=-5, max_value=60)),
    st.tuples(st.just("redeem"), st.sampled_from(["抽纸", "毛巾", "洗洁精"])),
    st.tuples(st.just("cancel"), st.integers(min_value=1, max_value=6)),
    st.tuples(st.just("handover"), st.integers(min_value=1, max_value=6)),
), max_size=25)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
async def test_balance_is_the_ledger_sum_and_never_negative(chat, ops):
    # Examples share the fixture's database: the invariants must hold after any history.
    lines = {
        "claim": "[12号楼群] 张阿姨: #打卡 {}",
        "award": "[12号楼群] 李楼长: #加分 @张阿姨 {} 帮忙",
        "deduct": "[12号楼群] 李楼长: #扣分 @张阿姨 {} 纠正",
        "redeem": "[12号楼群] 张阿姨: #兑换 {}",
        "cancel": "[12号楼群] 张阿姨: #取消 X{}",
        "handover": "[12号楼群] 李楼长: #发放 X{}",
    }
    if not await chat.count(Building):
        await chat.setup_building()
    for op, value in ops:
        await chat(lines[op].format(value))
        async with chat.app.sessions() as session:
            rows = (await session.execute(select(LedgerEntry.member_id, func.sum(LedgerEntry.amount))
                                          .group_by(LedgerEntry.member_id))).all()
            for member_id, total in rows:
                assert total >= 0
            entries = list(await session.scalars(select(LedgerEntry.amount).join(Member, Member.id == LedgerEntry.member_id)
                                                 .where(Member.wechat_id == "张阿姨")))
        # What the resident is told is the sum of her ledger lines, added up here, not by the bot's query.
        shown = await chat.one("[12号楼群] 张阿姨: #我的积分")
        assert f"余额 {sum(entries)} 分" in shown
        async with chat.app.sessions() as session:
            held = await session.scalar(select(func.coalesce(func.sum(Redemption.cost), 0))
                                        .where(Redemption.status.in_(("held", "handed_over"))))
            spent = await session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                                         .where(LedgerEntry.kind.in_(("redemption", "redemption_reversal"))))
            assert -spent == held  # every held point is a live redemption, no more, no less


async def test_two_redemptions_at_the_same_moment_only_one_wins(chat, settings, monkeypatch):
    """Regression guard: two #兑换 racing on one balance must not both pass the balance check."""
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 30 组织活动")
    real_lock = ledger.lock_member

    async def lock_then_dawdle(session, member_id):
        # Hold the lock a moment so the two transactions overlap for certain.
        await real_lock(session, member_id)
        await asyncio.sleep(0.2)

    monkeypatch.setattr(ledger, "lock_member", lock_then_dawdle)
    # A second engine = a second bot process on the same database.
    other = make_engine(settings.database_url)
    try:
        from bot.app import App
        from bot.transport.memory import MemoryTransport

        transport = MemoryTransport(settings.bot_name, admins=settings.admin_ids, clock=chat.app.clock)
        second = App(settings, transport, clock=chat.app.clock, engine=other)
        await second.on_message(transport.parse("[12号楼群] 老周: #礼品"))  # connect before the race
        first_message = chat.message("[12号楼群] 张阿姨: #兑换 毛巾")
        second_message = transport.parse("[12号楼群] 张阿姨: #兑换 洗洁精")
        await asyncio.gather(chat.send(first_message), second.on_message(second_message))
        replies = [r.text for r in chat.transport.sent[-1:] + transport.sent[1:]]
        assert sum("已兑换" in text for text in replies) == 1, replies
        assert sum("还差" in text for text in replies) == 1, replies
        assert await chat.count(Redemption) == 1
        async with chat.app.sessions() as session:
            member = await queries.member_by_wechat_id(session, "张阿姨")
            assert await queries.balance_of(session, member) in (0, 10)
    finally:
        await other.dispose()


async def test_ledger_post_refuses_to_go_negative(chat):
    await chat.setup_building()
    async with chat.app.sessions() as session, session.begin():
        member = await queries.get_or_create_member(session, "张阿姨", "张阿姨", NOW)
        await ledger.post(session, member_id=member.id, building_id=None, amount=5, kind="award", reason="x",
                          author_id=None, now=NOW)
        with pytest.raises(ledger.NotEnoughPoints) as refused:
            await ledger.post(session, member_id=member.id, building_id=None, amount=-6, kind="deduction",
                              reason="x", author_id=None, now=NOW)
        assert refused.value.balance == 5


def test_no_code_updates_or_deletes_ledger_rows():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in [*root.glob("bot/**/*.py"), *root.glob("handlers/**/*.py"), *root.glob("storage/**/*.py"),
                 *root.glob("schedules/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        for forbidden in ("update(LedgerEntry", "delete(LedgerEntry", "session.delete(entry"):
            assert forbidden not in text, f"{path}: {forbidden}"


# Star ratings --------------------------------------------------------------------

async def _building(session, name="9号楼") -> Building:
    building = Building(name=name, created_at=NOW)
    session.add(building)
    await session.flush()
    return building


async def test_star_rating_of_an_empty_building(chat, settings):
    async with chat.app.sessions() as session, session.begin():
        building = await _building(session)
        rating = await star_rating(session, building, *queries.week_bounds(NOW, settings.timezone), settings)
    assert rating == StarRating(1, 0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0, 0.0)  # the committee's table shows its parts as 0%
    assert rating.line() == "本楼星级：★☆☆☆☆（1 星，本周还没有成员数据）"


async def test_star_rating_of_a_one_member_building_doing_everything(chat, settings):
    week = queries.week_bounds(NOW, settings.timezone)
    async with chat.app.sessions() as session, session.begin():
        building = await _building(session)
        member = await queries.get_or_create_member(session, "w1", "独居老人", NOW, building.id)
        await ledger.post(session, member_id=member.id, building_id=building.id, amount=25, kind="claim",
                          reason="x", author_id=member.id, now=NOW)
        for day in range(7):
            session.add(Patrol(member_id=member.id, building_id=building.id, note="",
                               created_at=week[0] + timedelta(days=day, hours=9)))
        session.add(Report(building_id=building.id, reporter_id=member.id, category="垃圾", description="x",
                           status="closed", created_at=NOW, updated_at=NOW, resolved_at=NOW + timedelta(hours=3)))
        await session.flush()
        rating = await star_rating(session, building, *week, settings)
    assert rating.stars == 5
    assert (rating.participation, rating.patrol, rating.reports, rating.points) == (1.0, 1.0, 1.0, 1.0)


async def test_star_rating_counts_late_reports_and_weights(chat, settings):
    week = queries.week_bounds(NOW, settings.timezone)
    only_reports = Settings(database_url=settings.database_url, star_weights=(("participation", 0), ("patrol", 0),
                                                                             ("reports", 1), ("points", 0)))
    async with chat.app.sessions() as session, session.begin():
        building = await _building(session)
        member = await queries.get_or_create_member(session, "w1", "甲", NOW, building.id)
        for hours in (3, 200):  # one in time, one late
            session.add(Report(building_id=building.id, reporter_id=member.id, category="垃圾", description="x",
                               status="resolved", created_at=NOW, updated_at=NOW,
                               resolved_at=NOW + timedelta(hours=hours)))
        session.add(Report(building_id=building.id, reporter_id=member.id, category="垃圾", description="x",
                           status="open", created_at=NOW, updated_at=NOW))
        await session.flush()
        rating = await star_rating(session, building, *week, only_reports)
    assert rating.reports == pytest.approx(1 / 3)
    assert rating.stars == 2  # 1 + round(4/3)





async def test_participation_is_at_most_everyone_even_with_neighbours_from_other_buildings(chat, settings):
    """Points earned in this building's group by someone of another building count as activity here."""
    week = queries.week_bounds(NOW, settings.timezone)
    async with chat.app.sessions() as session, session.begin():
        building, other = await _building(session), await _building(session, "11号楼")
        member = await queries.get_or_create_member(session, "w1", "甲", NOW, building.id)
        neighbour = await queries.get_or_create_member(session, "w2", "乙", NOW, other.id)
        for person in (member, neighbour):
            await ledger.post(session, member_id=person.id, building_id=building.id, amount=5, kind="claim",
                              reason="x", author_id=person.id, now=NOW)
        rating = await star_rating(session, building, *week, settings)
    assert (rating.members, rating.participation, rating.points) == (1, 1.0, 0.5)

async def test_star_weights_need_not_add_up_to_one(chat, settings):
    """LOUZU_STAR_WEIGHTS=participation:1,reports:1: the parts are averaged by their weights."""
    week = queries.week_bounds(NOW, settings.timezone)
    halves = Settings(database_url=settings.database_url, star_weights=(("participation", 1), ("patrol", 0),
                                                                       ("reports", 1), ("points", 0)))
    async with chat.app.sessions() as session, session.begin():
        building = await _building(session)
        await queries.get_or_create_member(session, "w1", "甲", NOW, building.id)
        rating = await star_rating(session, building, *week, halves)
    assert (rating.participation, rating.reports, rating.stars) == (0.0, 1.0, 3)  # 1 + round(4 × (0 + 1) / 2)

async def test_a_report_resolved_exactly_at_the_handling_time_is_in_time(chat, settings):
    week = queries.week_bounds(NOW, settings.timezone)
    async with chat.app.sessions() as session, session.begin():
        building = await _building(session)
        member = await queries.get_or_create_member(session, "w1", "甲", NOW, building.id)
        for took in (timedelta(hours=48), timedelta(hours=48, seconds=1)):  # LOUZU_REPORT_HANDLING_HOURS is 48
            session.add(Report(building_id=building.id, reporter_id=member.id, category="垃圾", description="x",
                               status="resolved", created_at=NOW, updated_at=NOW, resolved_at=NOW + took))
        await session.flush()
        rating = await star_rating(session, building, *week, settings)
    assert rating.reports == 0.5


async def test_the_star_rating_week_runs_from_monday_0000_to_the_next_monday_0000(chat, settings):
    """What happens at the first moment of a week is that week's; at the first moment of the next, the next's."""
    start, end = queries.week_bounds(NOW, settings.timezone)
    async with chat.app.sessions() as session, session.begin():
        building = await _building(session)
        member = await queries.get_or_create_member(session, "w1", "甲", NOW, building.id)
        other = await queries.get_or_create_member(session, "w2", "乙", NOW, building.id)
        for moment in (start, end):
            session.add(Patrol(member_id=member.id, building_id=building.id, note="", created_at=moment))
        # Still open (not handled in time) at Monday 00:00; resolved within an hour at the next Monday.
        session.add(Report(building_id=building.id, reporter_id=member.id, category="垃圾", description="x",
                           status="open", created_at=start, updated_at=start))
        session.add(Report(building_id=building.id, reporter_id=member.id, category="垃圾", description="x",
                           status="resolved", created_at=end, updated_at=end, resolved_at=end + timedelta(hours=1)))
        await ledger.post(session, member_id=member.id, building_id=building.id, amount=4, kind="claim", reason="x",
                          author_id=member.id, now=start)
        await ledger.post(session, member_id=other.id, building_id=building.id, amount=4, kind="claim", reason="x",
                          author_id=other.id, now=end)
        await session.flush()
        rating = await star_rating(session, building, start, end, settings)
    # 甲's patrol, report and points at Monday 00:00 count; 乙's points and the rest at the next Monday do not.
    assert (rating.participation, rating.patrol, rating.reports, rating.points) == (0.5, 1 / 7, 0.0, 0.1)

# Cleaners and claim expiry ----------------------------------------------------------

async def test_cleaners_are_ranked_by_thanks_received(chat, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #设角色 @王师傅 保洁")
    await chat.one("[12号楼群] 王主任: #设角色 @刘师傅 保洁")
    for giver in ("张阿姨", "老周"):
        await chat.one(f"[12号楼群] {giver}: #点赞 @王师傅 辛苦了")
    await chat.one("[12号楼群] 张阿姨: #点赞 @刘师傅")
    await chat.one("[12号楼群] 张阿姨: #点赞 @小志愿者")  # not a cleaner
    async with chat.app.sessions() as session:
        ranking = await cleaner_ranking(session, *queries.month_bounds(chat.app.clock(), settings.timezone))
    assert [(rank, m.display_name, n) for rank, m, n in ranking] == [(1, "王师傅", 2), (2, "刘师傅", 1)]


def test_the_tenth_place_of_an_honour_section_is_in_and_the_eleventh_is_not_unless_tied():
    """The honour list's 保洁之星 and 活动之星 (queries.top over rank_with_ties): ten places, ties for the tenth all in."""
    counts = [("保洁%02d" % n, 20 - n) for n in range(1, 13)]  # 19, 18, … 8 times: twelve different places
    assert [name for _, name, _ in queries.top(queries.rank_with_ties(counts), 10)] == [
        "保洁%02d" % n for n in range(1, 11)]
    tied = counts[:9] + [("保洁10", 5), ("保洁11", 5), ("保洁12", 4)]
    assert [(rank, name) for rank, name, _ in queries.top(queries.rank_with_ties(tied), 10)][-3:] == [
        (9, "保洁09"), (10, "保洁10"), (10, "保洁11")]


async def test_a_cleaners_month_runs_from_the_first_moment_to_the_next_months_first(chat, clock, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #设角色 @王师傅 保洁")
    tz = settings.timezone
    for moment, giver in (("2026-11-01 00:00", "张阿姨"), ("2026-12-01 00:00", "老周")):
        clock.set_local(moment, tz)
        await chat.one(f"[12号楼群] {giver}: #点赞 @王师傅")
    async with chat.app.sessions() as session:
        november = await cleaner_ranking(session, *queries.month_bounds(NOW, tz))
    assert [(rank, m.display_name, n) for rank, m, n in november] == [(1, "王师傅", 1)]


async def test_pending_claims_expire_after_seven_days(chat, clock, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 2")
    clock.advance(days=6)
    await chat.one("[12号楼群] 老周: #打卡 志愿服务 1")
    clock.advance(days=1, minutes=1)
    async with chat.app.sessions() as session, session.begin():
        replies = await expire_claims(JobContext(session, settings, clock()))
    assert [(r.room_id, r.text, r.mention) for r in replies] == [(
        "12号楼群", "C1（志愿服务 2小时）超过 7 天没有审核，已过期；如确有其事，请重新 #打卡 或联系楼组长。", ("张阿姨",))]
    assert [c.status for c in await chat.scalars(select(Claim).order_by(Claim.id))] == ["expired", "pending"]
    assert await chat.one("[12号楼群] 李楼长: #通过 C1") == "@李楼长 C1 已过期，不能再审核。"


def test_gifts_command_line_edits_the_catalogue(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOUZU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["gifts", "list"]) == 2  # no database here: refused, and no empty one made
    assert "没有数据库" in capsys.readouterr().err
    assert not (tmp_path / "data" / "louzu.db").exists()
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["gifts", "set", "保温杯", "--cost", "60", "--stock", "5"]) == 0
    assert capsys.readouterr().out == "已添加礼品 保温杯：60 分，库存 5 件。\n"  # the one change, not the list
    assert main(["gifts", "set", "保温杯", "--stock", "4", "--active", "no"]) == 0
    assert capsys.readouterr().out == "已修改礼品 保温杯：库存 5 → 4，不再提供兑换。\n"
    assert main(["gifts", "set", "保温杯", "--stock", "4"]) == 0
    assert capsys.readouterr().out == "礼品 保温杯 没有变化。\n"
    assert main(["gifts", "list"]) == 0
    assert [line.split() for line in capsys.readouterr().out.splitlines() if "保温杯" in line] == [
        ["│", "保温杯", "│", "60", "│", "4", "│", "否", "│"]]
    assert main(["gifts", "set", "雨伞"]) == 2
    assert capsys.readouterr().err == "louzu: 新礼品 雨伞 要写上 --cost（积分）和 --stock（库存）\n"
    assert main(["gifts", "set", "雨伞", "--cost", "0"]) == 2
    assert capsys.readouterr().err.startswith("louzu: --cost 的值不对：0 不是 1 或以上的整数")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"name": "伞", "cost": 0, "stock": 1}]', encoding="utf-8")
    assert main(["gifts", "load", str(bad)]) == 2
    assert "第 1 个礼品要有名称（name）、大于 0 的积分（cost）" in capsys.readouterr().err
    bad.write_text("不是 JSON", encoding="utf-8")
    assert main(["gifts", "load", str(bad)]) == 2
    assert capsys.readouterr().err == f"louzu: {bad}: Expecting value: line 1 column 1 (char 0)\n"
    smallest = tmp_path / "smallest.json"  # 1 point and none in stock are allowed
    smallest.write_text('[{"name": "伞", "cost": 1, "stock": 0}]', encoding="utf-8")
    assert main(["gifts", "load", str(smallest)]) == 0
    assert capsys.readouterr().out == "已添加礼品 伞：1 分，库存 0 件。\n"



async def test_a_claim_pending_exactly_seven_days_has_not_expired_yet(chat, clock):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 2")
    clock.advance(days=7)  # 7 × 24 hours to the second: not yet "more than 7 days"
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run("expire_claims")
    await chat.app.outbox.drain()
    assert chat.transport.sent[before:] == []
    assert [c.status for c in await chat.scalars(select(Claim))] == ["pending"]
    clock.advance(seconds=1)
    await chat.app.schedules.jobs.run("expire_claims")
    await chat.app.outbox.drain()
    assert [(r.room_id, r.text, r.mention) for r in chat.transport.sent[before:]] == [(
        "12号楼群", "C1（志愿服务 2小时）超过 7 天没有审核，已过期；如确有其事，请重新 #打卡 或联系楼组长。", ("张阿姨",))]
    assert [(c.status, c.decided_at, c.decision_reason) for c in await chat.scalars(select(Claim))] == [
        ("expired", clock(), "超过 7 天未审核")]
