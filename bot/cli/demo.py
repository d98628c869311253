"""`louzu demo`: a small district's fortnight, played through the real bot on a throw-away database.

Three buildings and twenty residents: the committee imports its roster, residents report (with a
photo), claim, thank and patrol, leaders approve and hand over gifts, a scheduled notice goes out on
Saturdays; then the Monday ranking and the month's honour list (光荣榜) are posted and the month's
ledger workbook is written. Everything goes through the App with the console transport (the lines
print as `louzu run --console` prints them), the real handlers, jobs, scheduler and storage, on a
clock that jumps from one message to the next instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import click
from PIL import Image, ImageDraw

from bot.cli import ui
from bot.core.settings import Settings
from storage.queries import month_bounds
from storage.staff.activities import add_activity
from storage.staff.ledger_month import month_statement
from storage.staff.ledger_workbook import write_workbook
from storage.staff.roster import BuildingRow, ResidentRow, Roster, import_roster, write_roster

MARK = ".louzu-demo"  # a folder with this file was made by the demo, and may be made anew
ADMIN, COMMITTEE = "王主任", "居委会群"
WEEKDAYS = "一二三四五六日"

# The district: building, its group, and its residents (门牌号, name, roles; a WeChat id only for the leaders,
# the others are recognised by name when they first speak, as on a real roster).
DISTRICT = {
    "1号楼": ("1号楼群", [("101", "李楼长", "楼组长"), ("102", "张阿姨", ""), ("201", "老周", ""), ("202", "刘奶奶", ""),
                          ("301", "陈叔", "党员"), ("302", "小林", "志愿者"), ("保洁室", "王师傅", "保洁")]),
    "2号楼": ("2号楼群", [("101", "赵楼长", "楼组长"), ("102", "孙阿姨", "党员"), ("201", "周老师", ""),
                          ("202", "吴大爷", ""), ("301", "郑姐", "志愿者"), ("保洁室", "钱师傅", "保洁")]),
    "3号楼": ("3号楼群", [("101", "冯楼长", "楼组长"), ("102", "何阿姨", "志愿者"), ("201", "韩叔", "党员"),
                          ("202", "曹老师", ""), ("301", "严奶奶", ""), ("302", "小华", ""), ("保洁室", "许师傅", "保洁")]),
}
LEADERS = {"李楼长", "赵楼长", "冯楼长"}

# (day of the fortnight, time, what is said); "{photo}" is the report's picture.
SCRIPT: list[tuple[int, str, str]] = [
    (0, "09:30", "[1号楼群] 张阿姨: [图片 {photo}]"),
    (0, "09:31", "[1号楼群] 张阿姨: #报修 3楼楼道堆了纸箱，堵住了消防通道"),
    (0, "09:35", "[1号楼群] 李楼长: #指派 R1 @王师傅"),
    (0, "10:00", "[1号楼群] 老周: #打卡 捡垃圾"),
    (0, "10:30", "[2号楼群] 孙阿姨: #巡查 楼道通畅，消防栓正常"),
    (0, "11:00", "[3号楼群] 何阿姨: #打卡 垃圾分类值守"),
    (0, "14:00", "[2号楼群] 周老师: #打卡 志愿服务 2"),
    (0, "15:00", "[2号楼群] 赵楼长: #审核"),
    (0, "15:01", "[2号楼群] 赵楼长: #通过 C3"),
    (1, "09:00", "[1号楼群] 王师傅: #处理 R1 纸箱已清走"),
    (1, "09:30", "[1号楼群] 张阿姨: #确认 R1"),
    (1, "09:31", "[1号楼群] 张阿姨: #点赞 @王师傅 楼道扫得真干净"),
    (1, "10:00", "[3号楼群] 韩叔: #巡查 车棚电动车停放整齐"),
    (1, "18:00", "[3号楼群] 曹老师: #报修 车棚电动车乱停，挡住了通道"),
    (2, "08:00", "[3号楼群] 冯楼长: #处理 R2 已联系车主挪车"),
    (2, "09:00", "[3号楼群] 曹老师: #确认 R2"),
    (2, "10:00", "[2号楼群] 赵楼长: #定时 每周六 09:00 周六上午大扫除，请大家把楼道杂物清走"),
    (2, "11:00", "[1号楼群] 小林: #打卡 清理楼道"),
    (2, "11:10", "[1号楼群] 刘奶奶: #我的积分"),
    (3, "09:00", "[1号楼群] 陈叔: #巡查 楼道灯都亮"),
    (3, "10:00", "[3号楼群] 小华: #打卡 捡垃圾 2"),
    (3, "16:00", "[2号楼群] 吴大爷: #打卡 门前三包"),
    (4, "09:00", "[2号楼群] 郑姐: #打卡 宣传"),
    (4, "09:10", "[2号楼群] 吴大爷: #点赞 @钱师傅 垃圾房很干净"),
    (4, "20:00", "[1号楼群] 老周: #排行"),
    (5, "10:00", "[2号楼群] 孙阿姨: #打卡 清理楼道"),
    (5, "10:05", "[2号楼群] 郑姐: #打卡 清理楼道"),
    (6, "10:00", "[3号楼群] 严奶奶: #报修 楼上装修太吵，周末一早就开始"),
    (6, "15:00", "[3号楼群] 何阿姨: #打卡 垃圾分类值守"),
    (7, "10:00", "[1号楼群] 老周: #打卡 清理楼道 2"),
    (7, "10:05", "[1号楼群] 老周: #礼品"),
    (7, "10:06", "[1号楼群] 老周: #兑换 抽纸"),
    (7, "16:00", "[1号楼群] 李楼长: #发放 X1"),
    (8, "09:00", "[1号楼群] 李楼长: #加分 @刘奶奶 5 帮忙照看邻居家的孩子"),
    (8, "10:00", "[3号楼群] 冯楼长: #处理 R3 已提醒装修只在工作日白天"),
    (8, "19:00", "[3号楼群] 严奶奶: #确认 R3"),
    (9, "09:00", "[3号楼群] 许师傅: #打卡 清理楼道"),
    (9, "09:30", "[3号楼群] 曹老师: #点赞 @许师傅 辛苦了"),
    (9, "11:00", "[2号楼群] 吴大爷: #打卡 门前三包"),
    (9, "11:05", "[2号楼群] 吴大爷: #打卡 门前三包"),
    (9, "15:00", "[2号楼群] 赵楼长: #驳回 C14 门前三包每天算一次"),
    (9, "15:05", "[2号楼群] 赵楼长: #扣分 @吴大爷 2 垃圾袋放在楼道里"),
    (10, "09:00", "[3号楼群] 韩叔: #巡查 消防通道畅通"),
    (10, "10:00", "[1号楼群] 张阿姨: #打卡 志愿服务 3"),
    (10, "10:30", "[1号楼群] 李楼长: #通过 C15"),
    (11, "09:00", "[2号楼群] 周老师: #兑换 抽纸"),
    (11, "09:01", "[2号楼群] 周老师: #积分明细"),
    (12, "10:00", "[1号楼群] 陈叔: #巡查 周六大扫除后楼道整洁"),
    (12, "10:20", "[2号楼群] 郑姐: #打卡 清理楼道"),
    (12, "10:25", "[2号楼群] 孙阿姨: #巡查 大扫除后楼道通畅"),
    (12, "10:30", "[3号楼群] 小华: #点赞 @何阿姨 垃圾分类讲得清楚"),
    (13, "10:00", "[3号楼群] 何阿姨: #打卡 垃圾分类值守"),
    (13, "20:00", "[3号楼群] 冯楼长: #排行"),
]


def fortnight_start(today: date) -> date:
    """The Monday two weeks or more before this month's first day: the fortnight ends inside last month."""
    first = today.replace(day=1)
    back = first - timedelta(days=14)
    return back - timedelta(days=back.weekday())


class Clock:
    """The demo's clock: it moves only when the script says so."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current


class _SchedulerTime:
    """APScheduler's view of "now", read from the demo's clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self, tz=None):
        now = self.clock()
        return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)


@contextlib.contextmanager
def scheduler_on(clock: Clock) -> Iterator[None]:
    import apscheduler.executors.base as executors
    import apscheduler.schedulers.base as schedulers

    saved = schedulers.datetime, executors.datetime
    schedulers.datetime = executors.datetime = _SchedulerTime(clock)
    try:
        yield
    finally:
        schedulers.datetime, executors.datetime = saved


def _photo(path: Path) -> Path:
    """A picture of boxes in a corridor, for the first report."""
    image = Image.new("RGB", (480, 320), "#d9d4c7")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 250, 480, 320), fill="#9c9384")
    for x, y, w, h in ((60, 150, 120, 100), (170, 170, 110, 80), (120, 90, 90, 60), (300, 180, 100, 70)):
        draw.rectangle((x, y, x + w, y + h), fill="#b5854b", outline="#6b4a22", width=3)
    draw.rectangle((400, 40, 460, 250), outline="#c8102e", width=4)  # the fire door they block
    image.save(path)
    return path


def prepare(folder: Path) -> None:
    if folder.exists():
        if not (folder / MARK).exists():
            raise ui.Fail(f"{folder} 已经存在，且不是演示生成的目录：换一个 --dir", 2)
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARK).write_text("louzu demo\n", encoding="utf-8")


def roster() -> Roster:
    data = Roster(buildings=[BuildingRow(name, room) for name, (room, _) in DISTRICT.items()])
    from storage.models import ROLE_WORDS

    for name, (_, people) in DISTRICT.items():
        for door, person, role in people:
            data.residents.append(ResidentRow(name, door, person, person if person in LEADERS else "",
                                              (ROLE_WORDS[role],) if role else ()))
    return data


async def demo(folder: Path) -> tuple[Path, Path, Path]:
    from bot.app import App
    from bot.transport.console import ConsoleTransport

    tz = Settings().timezone
    settings = Settings(data_dir=folder / "data", admin_ids=frozenset({ADMIN}), committee_room=COMMITTEE,
                        reminders=(), timezone=tz)
    first_day = fortnight_start(datetime.now(tz).date())
    # From Monday 09:15: the scheduler starts after that morning's ranking (of a week before the demo's).
    clock = Clock(datetime(first_day.year, first_day.month, first_day.day, 9, 15, tzinfo=tz).astimezone(timezone.utc))
    transport = ConsoleTransport(settings.bot_name, settings.admin_ids, clock=clock)
    app = App(settings, transport, clock=clock)
    photo = _photo(folder / "楼道照片.png")
    roster_file = folder / "演示名册.xlsx"
    write_roster(roster(), roster_file)

    def at(day: int, hhmm: str) -> datetime:
        local = datetime.combine(first_day + timedelta(days=day), datetime.strptime(hhmm, "%H:%M").time(), tz)
        return local.astimezone(timezone.utc)

    async def move_to(moment: datetime) -> None:
        """The clock goes forward; what the scheduler has due by then runs, and its posts go out."""
        clock.current = moment
        await app.schedules.run_due()
        await app.schedules.settle()
        await app.outbox.drain()

    def narrate(text: str) -> None:
        ui.say(f"\n—— {text} ——")

    with scheduler_on(clock):
        await app.start()
        try:
            await app.schedules.step()  # this process runs the scheduled jobs
            async with app.transaction() as session:
                done = await import_roster(session, roster(), clock())
                added = await add_activity(session, "垃圾分类值守", points=3, daily_cap=1)
            narrate(f"{first_day:%m月%d日} 居委会导入名册（louzu roster import {roster_file.name}）：{len(done.changes)} 处改动；"
                    f"新增活动（louzu activities add）：{added.text()}")
            day = -1
            for number, hhmm, line in SCRIPT:
                if number != day:
                    day = number
                    when = first_day + timedelta(days=day)
                    narrate(f"第 {day + 1} 天 {when.month}月{when.day}日 星期{WEEKDAYS[when.weekday()]}")
                await move_to(at(day, hhmm))
                line = line.format(photo=photo)
                ui.say(line)
                message = transport.parse(line)
                await app.on_message(message)
            monday = at(14, "09:00")
            narrate(f"{monday.astimezone(tz):%m月%d日} 星期一 09:00：每周排行自动发到各楼群，居委会群收到各楼星级")
            await move_to(monday)
            month_start, _ = month_bounds(monday, tz)
            if month_start <= monday:
                month_start, _ = month_bounds(monday + timedelta(days=7), tz)
            honour_at = month_start + timedelta(hours=10)
            narrate(f"{honour_at.astimezone(tz):%m月%d日} 10:00：上个月的光荣榜（图片和文字）发到各楼群")
            await move_to(honour_at.astimezone(timezone.utc))
            last_month = month_bounds(month_start - timedelta(days=1), tz)
            async with app.transaction() as session:
                statement = await month_statement(session, *last_month, tz)
            label = f"{last_month[0]:%Y-%m}"
            workbook = folder / f"积分台账-{label}.xlsx"
            write_workbook(statement, workbook, tz)
        finally:
            await app.close()
    picture = settings.data_dir.resolve() / "honour" / f"{label}.png"
    return picture, workbook.resolve(), roster_file.resolve()


@click.command("demo", cls=ui.Command, help="两分钟看懂全部功能：3 栋楼、20 位居民的两周，在临时数据库上用真实的机器人跑一遍，"
                                           "最后生成光荣榜图片和当月积分台账。")
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False), default=Path("louzu-demo"),
              show_default=True, metavar="目录", help="演示的数据库和生成的文件放在这里（每次重新生成）")
def demo_command(folder: Path) -> int:
    prepare(folder)
    picture, workbook, roster_file = asyncio.run(demo(folder))
    ui.say("\n—— 演示结束 ——")
    ui.say(f"光荣榜图片：{picture}")
    ui.say(f"积分台账：{workbook}")
    ui.say(f"演示名册：{roster_file}")
    ui.say(f"演示数据库在 {folder / 'data'}，可以随时删掉；真正开始用请看 README 的“从名册到上线”。")
    return 0
