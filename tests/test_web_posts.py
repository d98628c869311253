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
