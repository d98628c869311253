"""What every subcommand shares: the settings, read only when a subcommand needs them (so `--help` always works)."""

from __future__ import annotations

import logging
import sys

import click

from bot.cli.ui import Fail
from bot.core.redaction import never_log
from bot.core.settings import Settings, SettingsError


class State:
    def __init__(self, env_file: str) -> None:
        self.env_file = env_file
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                settings = Settings.load(self.env_file)
            except SettingsError as error:
                raise Fail(f"设置有误：{error}", 2) from None
            configure_logging(settings)
            for note in settings.notes:
                logging.getLogger("bot.cli").warning("%s", note)
            self._settings = settings
        return self._settings


def configure_logging(settings: Settings) -> None:
    """Our format at the configured level; the puppet service's token in no record of any logger."""
    never_log(settings.puppet_token)  # first: also urllib3's line for the token discovery request
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every start at INFO; only its problems are news.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))


def settings_of(ctx: click.Context) -> Settings:
    return ctx.find_object(State).settings


def records_of(ctx: click.Context) -> Settings:
    """The settings of a command that works on the bot's records: never on a new, empty database file."""
    from storage.db import missing_database

    settings = settings_of(ctx)
    problem = missing_database(settings.database_url)
    if problem:
        raise Fail(problem, 2)
    return settings


async def operation(url: str, work, *args, **kwargs):
    """Run one staff operation in one transaction on the bot's database (brought up to date first);
    a StaffError becomes the command's one-line error, and nothing is changed."""
    from storage.db import make_engine, make_sessionmaker, upgrade
    from storage.staff import StaffError

    engine = make_engine(url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            try:
                return await work(session, *args, **kwargs)
            except StaffError as error:
                raise Fail(str(error), 2) from None
    finally:
        await engine.dispose()
