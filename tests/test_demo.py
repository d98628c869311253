"""`louzu demo` as a newcomer runs it: the fortnight plays through the real bot and the files it names are there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image


def run_demo(cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOUZU_", "WECHATY_", "DATABASE_URL"))}
    return subprocess.run([sys.executable, "-m", "bot", "demo", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_demo_plays_a_fortnight_and_writes_what_it_names(tmp_path):
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:////nonexistent/never-used.db\n", encoding="utf-8")
    result = run_demo(tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for said in ("已附照片 1 张", "C3 已通过", "为你点赞", "已记录巡查", "X1 抽纸 已由 李楼长 发放",
                 "[2号楼群] 楼组小助手: 【定时通知】周六上午大扫除", "[居委会群] 楼组小助手: 【各楼上周星级】",
                 "光荣榜】", "你的积分明细"):
        assert said in out, said
    # Every scripted command did what it says: no failure, no unknown number, nobody refused for their role.
    assert "抱歉" not in out and "没有申请" not in out and "可以使用" not in out
    named = {line.split("：", 1)[0]: Path(line.split("：", 1)[1]) for line in out.splitlines()[-4:-1]}
    assert set(named) == {"光荣榜图片", "积分台账", "演示名册"}
    for path in named.values():
        assert path.is_file() and path.is_relative_to(tmp_path / "louzu-demo"), path
    with Image.open(named["光荣榜图片"]) as picture:
        assert picture.format == "PNG" and picture.width == 1080
    book = load_workbook(named["积分台账"])
    assert book.sheetnames == ["汇总", "成员", "1号楼", "2号楼", "3号楼", "明细"]
    assert book["汇总"]["A3"].value.endswith("——一致；每行 期末余额 = 期初余额 + 本月合计")
    assert book["成员"].max_row >= 3 + 15  # most of the twenty residents earned something
    assert not (tmp_path / "data").exists()  # the configured database is never touched

    again = run_demo(tmp_path)  # a second run starts afresh
    assert again.returncode == 0 and again.stdout.count("已登记 R1") == 1
    (tmp_path / "mine").mkdir()
    refused = run_demo(tmp_path, "--dir", "mine")
    assert refused.returncode == 2 and refused.stderr == "louzu: mine 已经存在，且不是演示生成的目录：换一个 --dir\n"
