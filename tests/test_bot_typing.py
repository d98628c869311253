"""What people type: a week in a small community played through the bot, each line as it was typed.

Residents in their seventies, retired leaders, a committee administrator: each test is one of the things
they hit, with the reply they should have seen.
"""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Building, Claim, Redemption, Report, RoleGrant, ScheduledNotice

ROOM = "12号楼群"


# Placeholders typed literally ------------------------------------------------------------------

async def test_a_placeholder_typed_as_a_report_is_refused_with_the_example(chat):
    """Regression: `#报修 <描述>` became "已登记 R6（其他）：<描述>"."""
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 张阿姨: #报修 <描述>") == (
        "@张阿姨 “<描述>”是格式说明，请换成你的内容再发，例如：#报修 3楼楼道堆了纸箱")
    assert await chat.one(f"[{ROOM}] 张阿姨: #处理 R1 [说明]") == (
        "@张阿姨 “[说明]”是格式说明，请换成你的内容再发，例如：#处理 R5 已清理")
    assert await chat.count(Report) == 0


async def test_a_placeholder_typed_as_a_building_binds_nothing(chat):
    """Regression: `#绑定 <楼号>` bound the group to a building named "<楼号>"."""
    assert await chat.one("[新群] 王主任: #绑定 <楼号>") == (
        "@王主任 “<楼号>”是格式说明，请换成你的内容再发，例如：#绑定 12号楼")
    assert await chat.count(Building) == 0


async def test_the_bots_own_replies_teach_worked_examples_not_placeholders(chat):
    """Regression: "处理好后请发送 #处理 R1 [说明]", "请重新发送 #报修 <描述>", "#进度 R<编号>"."""
    await chat.setup_building()
    said = [await chat.one(f"[{ROOM}] 张阿姨: #报修 3楼楼道堆了纸箱"),
            await chat.one(f"[{ROOM}] 李楼长: #指派 R1 @王师傅"),
            await chat.one(f"[{ROOM}] 张阿姨: #进度"),
            await chat.one(f"[{ROOM}] 李楼长: #进度"),
            await chat.one(f"[{ROOM}] 王师傅: #处理 R1 已清理"),
            await chat.one(f"[{ROOM}] 张阿姨: #确认 R1"),
            await chat.one(f"[{ROOM}] 张阿姨: #未解决 R1"),
            await chat.one(f"[{ROOM}] 张阿姨: #帮助"),
            await chat.one(f"[{ROOM}] 李楼长: #帮助 审核"),
            await chat.one(f"[{ROOM}] 李楼长: #定时列表"),
            await chat.one(f"[{ROOM}] 张阿姨: #兑换")]
    for reply in said:
        assert "<" not in reply and "[说明]" not in reply and "编号 " not in reply and "@某人" not in reply, reply
    assert said[1].endswith("处理好后请发送 #处理 R1 和处理情况，例如：#处理 R1 已清理。")
    assert said[2].endswith("看某一件的详情，例如：#进度 R1")
    assert said[6] == "@张阿姨 R1 已关闭。如果问题又出现了，请重新发送 #报修 和问题，例如：#报修 3楼楼道堆了纸箱。"


# Greeting the bot ------------------------------------------------------------------------------

async def test_a_greeting_gets_a_friendly_pointer_and_the_next_plain_request_is_done(chat, clock):
    """Regression: `@楼组小助手 你好` got "没有“#你好”这个指令…", and the report that followed got nothing."""
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 张阿姨: @楼组小助手 你好") == (
        "@张阿姨 你好！我是楼组小助手，可以这样发：\n"
        "#报修 3楼楼道堆了纸箱  反映楼里的问题（可附照片）\n"
        "#打卡 捡垃圾  记录志愿活动，赚爱心积分\n"
        "#我的积分  查看自己的积分和本周排名\n"
        "全部指令请发 #帮助")
    reply = await chat.one(f"[{ROOM}] 张阿姨: @楼组小助手 我要报修 地库入口又被电动车堵了")
    assert reply.startswith("@张阿姨 已登记 R1（乱停车）：地库入口又被电动车堵了\n")
    # Greetings are answered once a minute at most: a chat of them does not fill the group.
    assert await chat(f"[{ROOM}] 张阿姨: @楼组小助手 你好") == []
    clock.advance(seconds=59)
    assert await chat(f"[{ROOM}] 张阿姨: @楼组小助手 你好呀") == []
    clock.advance(seconds=1)
    assert (await chat.one(f"[{ROOM}] 张阿姨: @楼组小助手 你好")).startswith("@张阿姨 你好！我是楼组小助手")
    [report] = await chat.scalars(select(Report))
    assert report.description == "地库入口又被电动车堵了"


async def test_a_mention_that_asks_for_a_command_in_plain_words_is_answered_by_it(chat):
    await chat.setup_building()
    await chat.one(f"[{ROOM}] 张阿姨: #打卡 捡垃圾")
    assert (await chat.one(f"[{ROOM}] 张阿姨: @楼组小助手 我有多少积分？")).startswith("@张阿姨 你的爱心积分：余额 2 分")
    assert (await chat.one(f"[{ROOM}] 张阿姨: @楼组小助手 帮我看看排行榜")).startswith("@张阿姨 本周12号楼爱心积分榜")
    assert await chat.one(f"[{ROOM}] 老周: @楼组小助手 怎么报修呀") == (
        "@老周 反映楼里的问题（可附照片），请这样发：#报修 3楼楼道堆了纸箱")
    assert await chat.count(Report) == 0


async def test_an_unknown_hash_word_that_names_a_command_says_the_line_to_send(chat):
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 老周: #我想报修") == (
        "@老周 没有“#我想报修”这个指令，反映楼里的问题（可附照片），请这样发：#报修 3楼楼道堆了纸箱")


# Traditional characters ------------------------------------------------------------------------

async def test_traditional_characters_match_commands_activities_and_gifts(chat):
    """Regression: `#幫助` and `#我的積分` were unknown commands."""
    await chat.setup_building()
    assert "常用指令" in await chat.one(f"[{ROOM}] 陳伯: #幫助")
    assert await chat.one(f"[{ROOM}] 陳伯: #打卡 撿垃圾") == (
        "@陳伯 C1 已记录：捡垃圾 1次，+2 分，当前积分 2 分。谢谢你为楼里出力！")
    assert (await chat.one(f"[{ROOM}] 陳伯: #我的積分")).startswith("@陳伯 你的爱心积分：余额 2 分")
    report = await chat.one(f"[{ROOM}] 陳伯: #報修 樓道燈壞了")
    assert report.startswith("@陳伯 已登记 R1（设施）：樓道燈壞了")  # stored as typed
    await chat.one(f"[{ROOM}] 李楼长: #加分 @陳伯 20 幫忙")
    assert (await chat.one(f"[{ROOM}] 陳伯: #兌換 毛巾")).startswith("@陳伯 X1 已兑换 毛巾")


# #打卡 as people type it ---------------------------------------------------------------------

async def test_a_claim_with_voice_inputs_full_stop_emoji_or_a_colon_is_read(chat):
    """Regression: `#打卡 捡垃圾。`, `#打卡 捡垃圾 [强]` and `#打卡：捡垃圾` were refused."""
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 张阿姨: #打卡 捡垃圾。") == (
        "@张阿姨 C1 已记录：捡垃圾 1次，+2 分，当前积分 2 分。谢谢你为楼里出力！")
    assert (await chat.one(f"[{ROOM}] 张阿姨: #打卡 捡垃圾 [强][玫瑰]")).startswith("@张阿姨 C2 已记录：捡垃圾 1次，+2 分")
    assert (await chat.one(f"[{ROOM}] 张阿姨: #打卡：门前三包")).startswith("@张阿姨 C3 已记录：门前三包 1次，+2 分")
    assert [c.note for c in await chat.scalars(select(Claim).order_by(Claim.id))] == ["", "", ""]


async def test_a_note_after_the_number_is_kept_with_the_claim(chat):
    """Regression: `#打卡 志愿服务 两小时 帮孤老买菜` was refused."""
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 张阿姨: #打卡 志愿服务 两小时 帮孤老买菜。") == (
        "@张阿姨 C1 已提交：志愿服务 2小时（帮孤老买菜，20 分），等待楼组长审核。")
    [claim] = await chat.scalars(select(Claim))
    assert (claim.quantity, claim.points, claim.note, claim.status) == (2, 20, "帮孤老买菜", "pending")
    assert "C1 张阿姨 志愿服务 2小时 20分（帮孤老买菜）" in await chat.one(f"[{ROOM}] 李楼长: #审核")
    assert (await chat.one(f"[{ROOM}] 老周: #打卡 捡垃圾 三次 楼下草坪")).startswith(
        "@老周 C2 已记录：捡垃圾 3次（楼下草坪），+6 分")


async def test_a_long_note_is_kept_whole_as_typed_and_shown_cut_to_twenty_characters(chat):
    await chat.setup_building()
    note = "幫樓下孤老買菜還送到家裡去了一共走了三趟路"  # 21 characters, typed in traditional characters
    assert await chat.one(f"[{ROOM}] 张阿姨: #打卡 志愿服务 2 {note}") == (
        f"@张阿姨 C1 已提交：志愿服务 2小时（{note[:19]}…，20 分），等待楼组长审核。")
    assert await chat.one(f"[{ROOM}] 老周: #打卡 捡垃圾 2 {note}") == (
        f"@老周 C2 已记录：捡垃圾 2次（{note[:19]}…），+4 分，当前积分 4 分。谢谢你为楼里出力！")
    assert [c.note for c in await chat.scalars(select(Claim).order_by(Claim.id))] == [note, note]
    assert f"C1 张阿姨 志愿服务 2小时 20分（{note[:19]}…）" in await chat.one(f"[{ROOM}] 李楼长: #审核")
    assert await chat.one(f"[{ROOM}] 老王: #打卡 捡垃圾 {note[:20]}") == (
        f"@老王 C3 已记录：捡垃圾 1次（{note[:20]}），+2 分，当前积分 2 分。谢谢你为楼里出力！")


async def test_half_hours_are_rounded_to_whole_hours_and_the_reply_says_so(chat):
    """Regression: `半小时` and `1.5小时` were refused."""
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 张阿姨: #打卡 志愿服务 半小时") == (
        "@张阿姨 半小时按 1 小时记（满半小时算一小时，不满半小时不算）。\n"
        "C1 已提交：志愿服务 1小时（10 分），等待楼组长审核。")
    assert (await chat.one(f"[{ROOM}] 老周: #打卡 志愿服务 1.5小时")).startswith("@老周 1.5小时按 2 小时记")
    assert (await chat.one(f"[{ROOM}] 老王: #打卡 志愿服务 一个半小时")).startswith("@老王 一个半小时按 2 小时记")
    assert [c.quantity for c in await chat.scalars(select(Claim).order_by(Claim.id))] == [1, 2, 2]
    assert "数量应为 1 到 8 之间的整数" in await chat.one(f"[{ROOM}] 老李: #打卡 志愿服务 0.2小时")
    assert await chat.count(Claim) == 3


# Wrong refusals --------------------------------------------------------------------------------

async def test_an_unknown_activity_or_gift_is_named_with_the_closest_ones(chat):
    """Regression: "请写上活动名称" and "请写上礼品名称" when a name was written."""
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 张阿姨: #打卡 垃圾分类值守") == (
        "@张阿姨 没有“垃圾分类值守”这个活动，相近的有：捡垃圾。例如：#打卡 捡垃圾")
    assert await chat.one(f"[{ROOM}] 张阿姨: #兑换 购物袋") == (
        "@张阿姨 没有“购物袋”这个礼品，相近的有：环保购物袋。例如：#兑换 环保购物袋")
    assert await chat.count(Claim) == 0 and await chat.count(Redemption) == 0


async def test_a_role_given_without_the_at_says_the_at_is_missing(chat):
    """Regression: `#设角色 吴大爷 志愿者` was refused as a bad role."""
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 王主任: #设角色 吴大爷 志愿者") == (
        "@王主任 请@一位群成员（先打 @，再从名单里点选这个人），例如：#设角色 @吴大爷 志愿者")
    assert await chat.count(RoleGrant) == 1  # the leader's, from the set-up
    assert await chat.one(f"[{ROOM}] 王主任: #设角色 @吴大爷 志愿者") == "@王主任 已设 吴大爷 为 12号楼 的志愿者。"


async def test_over_the_daily_cap_what_fits_is_recorded_and_only_the_rest_goes_to_review(chat):
    """Regression: `#打卡 捡垃圾 3` with 1 already logged sent all 3 to review."""
    await chat.setup_building()
    await chat.one(f"[{ROOM}] 张阿姨: #打卡 捡垃圾")
    assert await chat.one(f"[{ROOM}] 张阿姨: #打卡 捡垃圾 3") == (
        "@张阿姨 C2 已记录：捡垃圾 2次，+4 分，当前积分 6 分。\n"
        "捡垃圾每天最多记 3次，多出的 1次已提交为 C3（2 分），请楼组长审核。")
    claims = await chat.scalars(select(Claim).order_by(Claim.id))
    assert [(c.quantity, c.status) for c in claims] == [(1, "approved"), (2, "approved"), (1, "pending")]


# Replies in residents' words -------------------------------------------------------------------

async def test_patrol_points_and_deductions_say_what_their_figures_are(chat):
    """Regression: "（今天的巡查积分已满 2 次，记录照常保存）。本周3号楼巡查覆盖 1/7 天。", "本周 +0",
    "只有 0 分，最多扣 0 分"."""
    await chat.setup_building()
    await chat.one(f"[{ROOM}] 王主任: #设角色 @老党员 党员")
    for _ in range(2):
        await chat.one(f"[{ROOM}] 老党员: #巡查")
    assert await chat.one(f"[{ROOM}] 老党员: #巡查 楼道通畅") == (
        "@老党员 已记录巡查（今天第 3 次）：楼道通畅。巡查每天最多加 2 次分，这次不加分，记录照样留着。"
        "本周12号楼 7 天里已有 1 天有人巡查。")
    assert await chat.one(f"[{ROOM}] 新邻居: #我的积分") == (
        "@新邻居 你的爱心积分：余额 0 分；本周还没得分，本月还没得分；本周还没有上榜，去 #打卡 吧。")
    assert await chat.one(f"[{ROOM}] 李楼长: #扣分 @新邻居 5 乱停车") == "@李楼长 新邻居 现在没有积分，扣不了分。"
    await chat.one(f"[{ROOM}] 李楼长: #加分 @新邻居 1 帮忙")
    assert await chat.one(f"[{ROOM}] 李楼长: #扣分 @新邻居 5 乱停车") == "@李楼长 新邻居 只有 1 分，最多扣 1 分。"


# Time phrases in #定时 ------------------------------------------------------------------------

async def test_schedule_accepts_the_time_phrases_people_use_and_says_the_time_back(chat):
    """Regression: 明早8点, 每周三 下午2点, 下周一 9点, 今晚7点半 were refused."""
    await chat.setup_building()
    for number, (phrase, said) in enumerate([("明早8点", "11月26日 08:00"), ("每周三 下午2点", "每周三 14:00"),
                                             ("12月1日 9:00", "12月1日 09:00"), ("下周一 9点", "11月30日 09:00"),
                                             ("今晚7点半", "11月25日 19:30")], start=1):
        assert (await chat.one(f"[{ROOM}] 李楼长: #定时 {phrase} 楼道大扫除")).startswith(
            f"@李楼长 S{number} 已设定：{said} 在本群发送“楼道大扫除”"), phrase
    assert await chat.count(ScheduledNotice) == 5


# Report categories -----------------------------------------------------------------------------

async def test_common_wording_finds_its_category(chat):
    """Regression: `楼道里又堆了东西` and `楼道灯坏了` became 其他; there was no 设施."""
    await chat.setup_building()
    assert (await chat.one(f"[{ROOM}] 张阿姨: #报修 楼道里又堆了东西")).startswith("@张阿姨 已登记 R1（楼道堆物）")
    assert (await chat.one(f"[{ROOM}] 老周: #报修 楼道灯坏了")).startswith("@老周 已登记 R2（设施）")


async def test_chinese_numerals_count_wherever_a_number_goes(chat):
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 李楼长: #加分 @张阿姨 五 帮忙清理楼道") == (
        "@张阿姨 李楼长 为你加 5 分：帮忙清理楼道。谢谢你！")
    assert (await chat.one(f"[{ROOM}] 张阿姨: #打卡 捡垃圾 两次")).startswith("@张阿姨 C1 已记录：捡垃圾 2次，+4 分")
