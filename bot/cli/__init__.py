"""The `louzu` command: run the bot, upgrade the database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from bot.cli import export as exports
from bot.cli import gifts as gifts_cli
from bot.cli import jobs as jobs_cli
from bot.core.redaction import never_log
from bot.core.settings import Settings, SettingsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="louzu", description="楼组小助手: the building-group bot")
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot")
    which = run.add_mutually_exclusive_group()
    which.add_argument("--console", action="store_const", const="console", dest="transport",
                       help="talk to the bot at this terminal (or pipe a script in)")
    which.add_argument("--wechaty", action="store_const", const="wechaty", dest="transport",
                       help="connect to WeChat through a Wechaty puppet service")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="bring the schema up to date (the bot also does this at start)")
    gifts_cli.add_parser(sub)
    exports.add_parser(sub)
    jobs_cli.add_parser(sub)
    sub.add_parser("doctor", help="scheduled jobs, the outbox, and sends that failed")
    return parser


def configure_logging(settings: Settings) -> None:
    """Our format at the configured level; the puppet service's token in no record of any logger."""
    never_log(settings.puppet_token)  # first: also urllib3's line for the token discovery request
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every start at INFO; only its problems are news.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))


def make_transport(settings: Settings, choice: str):
    if choice == "wechaty":
        from bot.transport.wechaty import WechatyTransport

        return WechatyTransport(settings)
    from bot.transport.console import ConsoleTransport

    return ConsoleTransport(settings.bot_name, settings.admin_ids)


def main(argv: list[str] | None = None) -> int:
    from bot.app import private_files

    private_files()  # before anything is created: the database, photos and exports are nobody else's
    args = _parser().parse_args(argv)
    try:
        settings = Settings.load(args.env_file)
        choice = getattr(args, "transport", None) or settings.chosen_transport()
        if choice == "wechaty" and not settings.puppet_token:
            raise SettingsError("WECHATY_PUPPET_SERVICE_TOKEN: required for the wechaty transport")
    except SettingsError as error:
        print(f"louzu: bad setting {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    for note in settings.notes:
        logging.getLogger("bot.cli").warning("%s", note)
    if args.command == "db":
        return asyncio.run(_upgrade(settings))
    if args.command in ("gifts", "export"):  # they work on the bot's records: never on a new, empty file
        from storage.db import missing_database

        problem = missing_database(settings.database_url)
        if problem:
            print(f"louzu: {problem}", file=sys.stderr)
            return 2
    if args.command == "gifts":
        return asyncio.run(gifts_cli.run(args, settings))
    if args.command == "doctor":
        from bot.cli.doctor import doctor

        return asyncio.run(doctor(settings))
    if args.command == "export":
        return asyncio.run(exports.run(args, settings))
    if args.command == "jobs":
        if settings.log_level != "DEBUG":  # what a job did is printed; its log lines would say it twice
            logging.getLogger("schedules.jobs").setLevel(logging.ERROR)
        return asyncio.run(jobs_cli.run(args, settings))
    from bot.app import App

    app = App(settings, make_transport(settings, choice))
    try:
        asyncio.run(_serve(app))
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(app) -> None:
    """Run the bot until its transport ends, or until SIGTERM (a service manager's stop): closing cleanly."""
    main_task = asyncio.current_task()
    with contextlib.suppress(NotImplementedError):  # no loop signal handlers on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    try:
        await app.run()
    except asyncio.CancelledError:
        logging.getLogger("bot.cli").info("stopped")


async def _upgrade(settings: Settings) -> int:
    from storage.db import make_engine, upgrade

    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print(f"louzu: database is up to date ({engine.url.render_as_string(hide_password=True)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
