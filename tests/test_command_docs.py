"""The command vocabulary people see: #帮助 and the README come from the registrations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handlers import build_table
from bot.core.router import CommandTable, Router, RouterError

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_command_and_alias_is_in_the_readme_table():
    table_lines = [line for line in README.splitlines() if line.startswith("| `#")]
    table = "\n".join(table_lines)
    for command in build_table().commands:
        for word in (command.keyword, *command.aliases):
            # `#积分` must be a row of its own, not a prefix of `#积分申请`.
            assert re.search(rf"`#{re.escape(word)}[` ]", table), f"#{word} is missing from the README's command table"


def test_every_command_has_a_summary_for_help():
    for command in build_table().commands:
        assert command.summary and command.usage.startswith(f"#{command.keyword}")


def test_a_keyword_clash_fails_when_the_routers_are_wired():
    first, second = Router("a"), Router("b")

    @first.command("报修")
    async def one() -> None: ...

    @second.command("修理", "报修")
    async def two() -> None: ...

    with pytest.raises(RouterError, match="#报修 is declared twice"):
        CommandTable([first, second])


def test_a_handler_asking_for_something_unknown_fails_at_declaration():
    router = Router("x")
    with pytest.raises(RouterError, match="unknown"):
        @router.command("测试")
        async def handler(database) -> None: ...


def test_every_scheduled_job_is_a_row_of_the_readme_job_table():
    from schedules.declared import jobs

    rows = [line for line in README.splitlines() if line.startswith("| ") and "`LOUZU_" in line]
    for spec in jobs.scheduled():
        row = next((line for line in rows if f"(`{spec.name}`)" in line), None)
        assert row is not None, f"job {spec.name} is missing from the README's job table"
        assert f"`{spec.setting}` (`{spec.default}`)" in row, f"{spec.name}: the README says another setting or default"


def test_permissions_combine_with_or_and_say_who_may():
    from types import SimpleNamespace

    from bot.core.rules import admin, leader, patroller

    either = admin() | patroller()
    assert repr(either) == "admin() | patroller()" and either.label == "居委会管理员或党员、志愿者或楼组长"
    nobody = SimpleNamespace(is_admin=False, roles=frozenset())
    assert not either.allows(nobody) and (either | leader()).allows(SimpleNamespace(is_admin=True, roles=frozenset()))


def test_a_rule_has_a_readable_repr_and_explains_itself():
    from types import SimpleNamespace

    from bot.core.rules import UNBOUND, bound_group

    rule = bound_group()
    assert repr(rule) == "boundgroup()"  # its class's name, as a permission's is ("leader()")
    assert rule.refusal == UNBOUND and not rule.holds(SimpleNamespace(building=None))


def test_every_command_shows_a_worked_example_not_a_placeholder():
    from bot.core.parser import placeholder_in

    for command in build_table().commands:
        assert command.example.startswith(f"#{command.keyword}"), command.keyword
        assert placeholder_in(command.example) is None and "[" not in command.example, command.example
