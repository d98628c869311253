"""Group events and private chats, through the puppet service."""

from __future__ import annotations

from tests.e2e.world import ADMIN, LI, R1, WANG, ZHANG, eventually, said_to


async def test_added_to_a_new_group_the_bot_asks_an_administrator_to_bind_it(louzu, harness, residents):
    await harness.join({"id": "r9@chatroom", "topic": "9号楼居民群", "memberIdList": [ADMIN, ZHANG]}, by=ZHANG)
    greeting = await harness.next_message()
    assert greeting["room"] == "r9@chatroom" and greeting["mentions"] == []
    assert greeting["text"].startswith("大家好，我是楼组小助手。请居委会管理员发送 #绑定 和本群的楼号")
    assert louzu.query("SELECT room_id, topic, building_id FROM groups") == [("r9@chatroom", "9号楼居民群", None)]

    # A resident joining a group is no news: the next thing the bot says is the answer to this.
    await harness.join("r9@chatroom", members=[WANG], by=ZHANG)
    reply = await residents.ask(ADMIN, "r9@chatroom", "#绑定 9号楼")
    assert said_to(reply, "王主任", ADMIN).startswith("本群已绑定 9号楼。")


async def test_regression_a_new_group_name_is_not_undone_by_python_wechatys_cached_topic(louzu, harness, residents):
    await residents.ask(ADMIN, R1, "#绑定 1号楼")
    await harness.topic(R1, "1号楼（东门）", by=ZHANG)
    await eventually(lambda: louzu.query("SELECT topic FROM groups WHERE room_id = ?", R1) == [("1号楼（东门）",)])
    # The next message in the group must not bring back the old name from python-wechaty's cache.
    await residents.ask(LI, R1, "#我的积分")
    assert louzu.query("SELECT topic FROM groups WHERE room_id = ?", R1) == [("1号楼（东门）",)]


async def test_a_private_chat_gets_one_polite_pointer_to_the_group(louzu, harness, residents):
    await harness.direct(LI, "你好，我想报修")
    hint = await harness.next_message()
    assert (hint["room"], hint["to"], hint["text"]) == (None, LI, "请在所在楼组的群里@我或发 #帮助 使用，私聊暂不办理。")
    # Said again soon after, it is not repeated (and changes nothing).
    await harness.direct(LI, "#报修 3楼灯坏了")
    reply = await residents.ask(ADMIN, R1, "#绑定 1号楼")  # the next thing the bot says is this answer
    assert said_to(reply, "王主任", ADMIN).startswith("本群已绑定 1号楼。")
    assert harness.drain() == []
    assert louzu.query("SELECT COUNT(*) FROM reports") == [(0,)]
