"""How the `louzu` command speaks to staff: Chinese help, one-line errors, Rich tables and progress bars.

Option names stay ASCII (`--month`, `--dry-run`); everything a person reads is Chinese. An
error is one line on standard error, `louzu: …`, and a non-zero exit status.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import sys
from typing import Any, Callable, Coroutine, Iterable, Iterator, Sequence

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

SECTIONS = {"Options": "选项", "Commands": "子命令", "Positional arguments": "参数"}
HELP = "显示这段说明并退出"


class Fail(click.ClickException):
    """A staff operation that cannot be done: one line saying why (and what to do instead)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = code


class ZhFormatter(click.HelpFormatter):
    """Click's help layout with Chinese headings."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[None]:
        with super().section(SECTIONS.get(name, name)):
            yield

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(term, text.replace("[required]", "[必填]").replace("[default: ", "[默认：")) for term, text in rows]
        super().write_dl(rows, col_max, col_spacing)


class _Chinese:
    """Help in Chinese."""

    def get_help_option(self, ctx: click.Context):  # type: ignore[override]
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP
        return option


class Command(_Chinese, click.Command):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)


class Group(_Chinese, click.Group):
    command_class = Command
    group_class = type  # subgroups are of this class too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "子命令 [参数]...")
        super().__init__(*args, **kwargs)


click.Context.formatter_class = ZhFormatter


def argument(*names: str, help: str = "", **kwargs: Any):
    """click.argument with a line of help (listed under 参数)."""
    return click.argument(*names, help=help, **kwargs)


# Click's own English messages, as staff read them.
_MESSAGES = (
    (re.compile(r"^No such option: (\S+)"), r"没有选项 \1"),
    (re.compile(r"^No such option '(.+?)'\.?"), r"没有选项 \1"),
    (re.compile(r"^No such command '(.+?)'\.?"), r"没有子命令 \1"),
    (re.compile(r"^Missing argument '(.+)'\.?"), r"缺少参数 \1"),
    (re.compile(r"^Missing option '(.+)'\.?"), r"缺少选项 \1"),
    (re.compile(r"^Option '(.+)' requires an argument\.?"), r"选项 \1 后面要写一个值"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)"), r"多了参数：\1"),
    (re.compile(r"^Invalid value for '(.+)': '(.+)' is not one of (.+)\.$"), r"\1 的值 \2 不对，只能是 \3"),
    (re.compile(r"^Invalid value for '(.+)': (.+)$"), r"\1 的值不对：\2"),
)


def chinese(message: str) -> str:
    for pattern, replacement in _MESSAGES:
        if pattern.search(message):
            said = pattern.sub(replacement, message)
            said = re.sub(r" ?Did you mean '?([^'?]+)'?\?", r"；是不是 \1？", said)
            return said.replace("(Possible options:", "（可用：")
    return message


def usage_error(error: click.UsageError, root: click.Group, argv: Sequence[str]) -> str:
    """One line: what is wrong, and where the help is (the subcommand's, as far as ``argv`` names one)."""
    where, command = ["louzu"], root
    for word in argv:
        if not isinstance(command, click.Group) or word not in command.commands:
            break
        command = command.commands[word]
        where.append(word)
    return f"louzu: {chinese(error.format_message())}（`{' '.join(where)} --help` 查看用法）"


# Output -------------------------------------------------------------------------------------

def console(stderr: bool = False) -> Console:
    """A Rich console that prints data as it is (no markup: names like [12号楼群] stay text).

    Piped into a file it uses a fixed, wide width, so tables do not wrap.
    """
    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    return Console(file=stream, markup=False, highlight=False, emoji=False, soft_wrap=False,
                   width=None if terminal else 160, force_terminal=False if not terminal else None)


def say(text: str = "") -> None:
    """A line for staff on standard output."""
    click.echo(text)


def note(text: str) -> None:
    """A line about the work (progress, where a file went) on standard error, away from data on stdout."""
    click.echo(text, err=True)


def table(title: str | None, head: Sequence[str], rows: Iterable[Sequence[Any]],
          justify: dict[int, str] | None = None, out: Callable[[str], None] | None = None) -> None:
    """A table on standard output (or, with ``out``, line by line to it); numbers right-aligned."""
    rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
    grid = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    for index, name in enumerate(head):
        numeric = bool(rows) and all(re.fullmatch(r"[-+]?\d+(\.\d+)?", row[index] or "0") for row in rows)
        grid.add_column(name, justify=(justify or {}).get(index, "right" if numeric else "left"),
                        overflow="fold")
    for row in rows:
        grid.add_row(*row)
    if out is None:
        console().print(grid)
        return
    text = io.StringIO()
    Console(file=text, markup=False, highlight=False, emoji=False, width=160).print(grid)
    for line in text.getvalue().splitlines():
        out(line.rstrip())


@contextlib.contextmanager
def progress(what: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error while ``what`` runs; yields ``advance(n)``.

    Only on a terminal: piped or in a service's log it would be noise.
    """
    out = console(stderr=True)
    if not out.is_terminal:
        yield lambda n=1: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=out, transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda n=1: bar.advance(task, n)


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)
