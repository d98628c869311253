"""`louzu gifts …`: the committee edits the gift catalogue from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import select

from bot.core.settings import Settings
from storage.db import make_engine, make_sessionmaker, upgrade
from storage.gifts import GiftFileError, read_gift_file, upsert_gift
from storage.models import Gift


def add_parser(subparsers) -> None:
    gifts = subparsers.add_parser("gifts", help="list or edit the gift catalogue")
    sub = gifts.add_subparsers(dest="gifts_command", required=True)
    sub.add_parser("list", help="every gift with its cost, stock and whether it is offered")
    add = sub.add_parser("set", help="add a gift, or change its cost, stock or whether it is offered")
    add.add_argument("name")
    add.add_argument("--cost", type=_positive, help="points it costs")
    add.add_argument("--stock", type=_not_negative, help="how many are left")
    add.add_argument("--active", choices=("yes", "no"), help="offered in #礼品 or not")
    load = sub.add_parser("load", help="add or update gifts from a JSON file like storage/default_gifts.json")
    load.add_argument("file", type=Path)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return int(text)


def _not_negative(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number 0 or above")
    return int(text)


async def run(args, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            try:
                if args.gifts_command == "set":
                    active = None if args.active is None else args.active == "yes"
                    await upsert_gift(session, args.name.strip(), cost=args.cost, stock=args.stock, active=active)
                elif args.gifts_command == "load":
                    for item in read_gift_file(args.file):
                        await upsert_gift(session, item["name"].strip(), cost=item["cost"], stock=item["stock"])
            except GiftFileError as error:
                print(f"louzu: {error}")
                return 2
            await session.flush()
            for gift in await session.scalars(select(Gift).order_by(Gift.cost, Gift.id)):
                offered = "" if gift.active else "  (not offered)"
                print(f"{gift.name}\t{gift.cost} points\t{gift.stock} left{offered}")
    finally:
        await engine.dispose()
    return 0
