"""The `louzu` command: run the bot, and the committee's operations (roster, ledger, catalogues, backups).

Each subcommand is a thin layer over a staff operation in ``storage/staff/`` (the web desk
calls the same functions): it reads the options, calls the operation, and says what happened
in Chinese. ``main(argv) -> int`` is the entry; ``--help`` works on every subcommand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import click

from bot.cli import ui
from bot.cli.state import State, configure_logging, settings_of  # noqa: F401  (configure_logging: for tests)
from bot.core.settings import Settings


@click.group(cls=ui.Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             help="楼组小助手：楼组群机器人，以及居委会的名册、积分台账、目录、备份等操作。")
@click.option("--env-file", default=".env", metavar="文件", help="设置文件（默认 .env，见 config.example.env）")
@click.pass_context
def cli(ctx: click.Context, env_file: str) -> None:
    ctx.obj = State(env_file)


@cli.command("run", help="启动机器人（没有配置微信时用控制台）。")
@click.option("--console", "transport", flag_value="console", help="在这个终端里扮演居民和楼组长（也可以用管道输入脚本）")
@click.option("--wechaty", "transport", flag_value="wechaty", help="通过 Wechaty puppet service 连接微信")
@click.pass_context
def run_command(ctx: click.Context, transport: str | None) -> int:
    settings = settings_of(ctx)
    choice = transport or settings.chosen_transport()
    if choice == "wechaty" and not settings.puppet_token:
        raise ui.Fail("设置有误：WECHATY_PUPPET_SERVICE_TOKEN: required for the wechaty transport", 2)
    from bot.app import App

    app = App(settings, make_transport(settings, choice))
    try:
        asyncio.run(_serve(app))
    except KeyboardInterrupt:
        pass
    return 0



def make_transport(settings: Settings, choice: str):
    if choice == "wechaty":
        from bot.transport.wechaty import WechatyTransport

        return WechatyTransport(settings)
    from bot.transport.console import ConsoleTransport

    return ConsoleTransport(settings.bot_name, settings.admin_ids)


async def _serve(app) -> None:
    """Run the bot until its transport ends, or until SIGTERM (a service manager's stop): closing cleanly."""
    main_task = asyncio.current_task()
    with contextlib.suppress(NotImplementedError):  # no loop signal handlers on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    try:
        await app.run()
    except asyncio.CancelledError:
        logging.getLogger("bot.cli").info("stopped")


def _register() -> None:
    from bot.cli import activities, buildings, demo, doctor, export, gifts, jobs, roster, web
    from bot.cli import db as db_cli

    for command in (roster.roster, export.export, activities.activities, gifts.gifts, buildings.buildings, db_cli.db, jobs.jobs,
                    doctor.doctor_command, demo.demo_command, web.web):
        cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> int:
    """`louzu …`: the exit status (0 done, 1 the operation failed, 2 a wrong command line or setting)."""
    from bot.app import private_files

    private_files()  # before anything is created: the database, photos and exports are nobody else's
    try:
        result = cli.main(args=argv, prog_name="louzu", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as shown:
        click.echo(shown.ctx.get_help())
        return 2
    except click.UsageError as error:
        click.echo(ui.usage_error(error, cli, sys.argv[1:] if argv is None else argv), err=True)
        return error.exit_code
    except click.ClickException as error:
        click.echo(f"louzu: {error.format_message()}", err=True)
        return error.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("louzu: 已中断", err=True)
        return 130
    except Exception as error:  # a database down, a file that cannot be written…: one line, the details logged
        logging.getLogger("bot.cli").debug("louzu %s failed", " ".join(argv or sys.argv[1:]), exc_info=True)
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        click.echo(f"louzu: 出错了（{type(error).__name__}）：{reason}。设 LOUZU_LOG_LEVEL=DEBUG 再运行可看详细经过。",
                   err=True)
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
