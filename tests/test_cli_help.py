"""Every `louzu` subcommand has `--help`, in Chinese; a wrong command line is one line and exit status 2."""

from __future__ import annotations

import click
import pytest

from bot.cli import cli, main


def commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


ALL = sorted(commands(cli))


def test_the_walk_sees_the_committees_commands():
    assert {("roster", "import"), ("export", "ledger"), ("export", "rankings"), ("activities", "add"),
            ("buildings", "merge"), ("db", "backup"), ("db", "copy"), ("doctor",), ("demo",)} <= set(ALL)


@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_help_on_every_subcommand_is_chinese(path, capsys):
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"用法：louzu {' '.join(path)} ")
    for english in ("Usage:", "Options:", "Commands:", "Show this message", "[OPTIONS]", "Positional"):
        assert english not in out, (path, english)
    described = out.split("\n\n")[1].strip()
    assert described and any("\u4e00" <= ch <= "\u9fff" for ch in described)


@pytest.mark.parametrize("argv, message", [
    (["roster", "import"], "louzu: 缺少参数 文件（`louzu roster import --help` 查看用法）"),
    (["export", "ledger", "--month"], "louzu: 选项 --month 后面要写一个值（`louzu export ledger --help` 查看用法）"),
    (["export", "ledger", "--moth", "2026-11"], "louzu: 没有选项 --moth"),
    (["rooster"], "louzu: 没有子命令 rooster"),
    (["export", "reports", "--since", "2026-11-01", "--format", "pdf"], "louzu: --format 的值 pdf 不对，只能是 "),
])
def test_a_wrong_command_line_is_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err


def test_an_unexpected_failure_is_one_line_too(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # nothing listens on port 1
    assert main(["gifts", "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("louzu: 出错了（") and err.count("\n") == 1 and "Traceback" not in err
