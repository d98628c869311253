"""The web desk's failed sends: listed, and sent again with a button (audited)."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import make_sessionmaker
from storage.models import OutboxMessage


async def test_a_failed_send_is_listed_and_queued_again_once(desk, clock):
    async with make_sessionmaker(desk.app.state.desk.engine)() as session, session.begin():
        session.add(OutboxMessage(batch="notice 全部", room_id="12号楼群", text="明天停水", status="failed", attempts=5,
                                  not_before=clock(), last_error="timeout", created_at=clock(), priority=1,
                                  mention="", hold_quiet=True))
    await desk.add_user("王主任")
    await desk.sign_in()
    assert "<strong>1</strong>发送失败的消息" in (await desk.get("/")).text
    page = (await desk.get("/posts?status=failed")).text
    assert "明天停水" in page and "timeout" in page and 'action="/posts/1/retry"' in page
    assert (await desk.post("/posts/1/retry", csrf=None)).status_code == 403
    assert (await desk.post("/posts/1/retry")).status_code == 303
    page = (await desk.get("/posts?status=failed")).text
    assert "已重新排队发送" in page and "没有发送失败的消息" in page and "王主任" in page.split("修改记录")[1]
    async with make_sessionmaker(desk.app.state.desk.engine)() as session:
        message = await session.scalar(select(OutboxMessage))
    assert (message.status, message.attempts) == ("pending", 0)
    again = await desk.post("/posts/1/retry")
    assert again.status_code == 400 and "不是发送失败的消息" in again.text


async def test_the_jobs_and_a_leaders_notice_are_listed_with_their_next_run(desk, chat):
    await chat.setup_building()
    assert "S1 已设定" in await chat.one("[12号楼群] 李楼长: #定时 每周六 09:00 周六大扫除")
    await desk.add_user("王主任")
    await desk.sign_in()
    page = (await desk.get("/posts")).text
    jobs = page.split('id="jobs"')[1].split("</table>")[0]
    # Wednesday 2026-11-25 10:00: the ranking posts next Monday at 9, the honour list on the 1st at 10.
    assert "weekly_ranking</td><td>每周一发各群上周积分排行和星级</td><td>0 9 * * mon</td>" in jobs
    assert "2026-11-30 09:00" in jobs and "2026-12-01 10:00" in jobs
    notices = page.split('id="notices"')[1].split("</table>")[0]
    assert "S1" in notices and "周六大扫除" in notices and "12号楼" in notices and "2026-11-28 09:00" in notices


async def test_the_honour_picture_of_any_month_is_drawn_on_demand_and_posts_nothing(desk, chat):
    import io

    from PIL import Image

    await chat.setup_building()
    await desk.add_user("王主任")
    await desk.sign_in()
    page = (await desk.get("/posts")).text
    assert 'name="month" value="2026-10"' in page and "honour.png" not in page  # last month offered, not drawn yet
    assert 'src="/posts/honour.png?month=2026-06"' in (await desk.get("/posts?month=2026-06")).text
    picture = await desk.get("/posts/honour.png?month=2026-06")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(picture.content)).size[0] > 300
    assert (await desk.get("/posts/honour.png?month=2026-13")).status_code == 400
    async with make_sessionmaker(desk.app.state.desk.engine)() as session:
        assert (await session.scalars(select(OutboxMessage))).all() == []
    await desk.post("/logout")
    assert (await desk.get("/posts/honour.png?month=2026-06")).status_code == 303
