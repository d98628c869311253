"""The console transport as a user runs it: `louzu run --console < script.txt`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.transport.console import ConsoleTransport, ParseError

import pytest

REPO = Path(__file__).resolve().parent.parent

SCRIPT = """\
[12号楼群] 王主任: #绑定 12号楼
[12号楼群] 王主任: #设楼组长 @李楼长
[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱
#打卡 捡垃圾
#我的积分
这句话只是聊天
[11号楼群] 老周: #报修 车棚乱停车
"""


def run_console(tmp_path: Path, script: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LOUZU_DATA_DIR": str(tmp_path / "data"), "LOUZU_ADMIN_IDS": "王主任",
           "LOUZU_TRANSPORT": "console", "DATABASE_URL": ""}
    env.pop("WECHATY_PUPPET_SERVICE_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "bot", "run", "--console"], input=script, text=True,
                          capture_output=True, cwd=tmp_path, env=env, timeout=120)


def test_piped_script_is_a_whole_session(tmp_path):
    result = run_console(tmp_path, SCRIPT)
    assert result.returncode == 0, result.stderr
    bot_lines = [line for line in result.stdout.splitlines() if "楼组小助手: " in line]
    assert bot_lines == [
        "[12号楼群] 楼组小助手: @王主任 本群已绑定 12号楼。居民发送 #帮助 可查看指令；管理员可发 #设楼组长 @李阿姨 指定楼组长（@ 后从名单里点选）。",
        "[12号楼群] 楼组小助手: @王主任 已设 李楼长 为 12号楼 的楼组长。",
        "[12号楼群] 楼组小助手: @张阿姨 已登记 R1（楼道堆物）：3楼楼道堆了纸箱",
        "[12号楼群] 楼组小助手: @张阿姨 C1 已记录：捡垃圾 1次，+2 分，当前积分 2 分。谢谢你为楼里出力！",
        "[12号楼群] 楼组小助手: @张阿姨 你的爱心积分：余额 2 分；本周得 2 分，本月得 2 分；本周在12号楼排第 1 名（共 1 人上榜）。",
        "[11号楼群] 楼组小助手: @老周 本群还没有绑定楼栋，请居委会管理员发送 #绑定 和本群的楼号，例如：#绑定 12号楼",
    ]
    assert "格式：[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱" in result.stdout  # the banner explains the lines
    assert (tmp_path / "data" / "louzu.db").is_file()
    # A second run keeps what the first one recorded.
    again = run_console(tmp_path, "[12号楼群] 张阿姨: #我的积分\n")
    assert "余额 2 分" in again.stdout


def test_console_line_format():
    console = ConsoleTransport("楼组小助手")
    message = console.parse("【12号楼群】张阿姨：#设楼组长 @李楼长 @楼组小助手")
    assert (message.room_id, message.sender_name, message.text) == ("12号楼群", "张阿姨", "#设楼组长 @李楼长 @楼组小助手")
    assert [m.name for m in message.mentions] == ["李楼长"] and message.mentions_bot
    follow_up = console.parse("#我的积分")
    assert (follow_up.room_id, follow_up.sender_id) == ("12号楼群", "张阿姨")
    assert follow_up.id != message.id


def test_console_needs_a_speaker_first_and_a_real_picture():
    console = ConsoleTransport("楼组小助手")
    with pytest.raises(ParseError, match="格式"):
        console.parse("#帮助")
    with pytest.raises(ParseError, match="找不到图片"):
        console.parse("[12号楼群] 张阿姨: [图片 /no/such.jpg]")


def test_the_readmes_first_example_works_as_written(tmp_path):
    """Regression: the README's first console example needed an administrator setting it did not show, and a
    photo that did not ship."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = re.search(r"```sh\n(.*make run)\n```", readme).group(1)
    admins = dict(re.findall(r"(LOUZU_\w+)=(\S+)", command))
    lines = re.search(r"and type \(or paste\) these lines:\n\n```text\n(.*?)```", readme, re.S).group(1)
    env = {**os.environ, "LOUZU_DATA_DIR": str(tmp_path / "data"), "LOUZU_TRANSPORT": "console",
           "DATABASE_URL": "", "LOUZU_ADMIN_IDS": "", **admins}
    env.pop("WECHATY_PUPPET_SERVICE_TOKEN", None)
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--console"], input=lines, text=True,
                            capture_output=True, cwd=REPO, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    said = [line.split("楼组小助手: ", 1)[1] for line in result.stdout.splitlines() if "楼组小助手: @" in line]
    assert [line.split(" ", 1)[0] for line in said] == ["@王主任", "@王主任", "@张阿姨", "@张阿姨", "@张阿姨"], said
    assert said[0].startswith("@王主任 本群已绑定 12号楼。") and said[1] == "@王主任 已设 李楼长 为 12号楼 的楼组长。"
    assert said[2] == "@张阿姨 已登记 R1（楼道堆物）：3楼楼道堆了纸箱"
    assert said[3] == "@张阿姨 照片已附到 R1。" and said[4].startswith("@张阿姨 C1 已记录：捡垃圾 1次")
