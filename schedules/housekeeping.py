"""Housekeeping: what the bot keeps only for a while is forgotten when its while is over."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.messages import Reply
from schedules.registry import JobContext, jobs
from storage import queries

log = logging.getLogger(__name__)


@jobs.job("prune_processed", at="LOUZU_PRUNE_PROCESSED_AT", default="40 4 * * *",
          summary="the ids of messages handled more than LOUZU_PROCESSED_RETENTION_DAYS ago are forgotten")
async def prune_processed(ctx: JobContext) -> list[Reply]:
    """Forget handled message ids past the retention period: a redelivery comes within minutes, and the
    limits count the last minutes; without this, the table grows by every message, for ever. Posts nothing."""
    before = ctx.now - timedelta(days=ctx.settings.processed_retention_days)
    pruned = await queries.prune_processed(ctx.session, before)
    if pruned:
        log.info("forgot %d handled message id(s) from before %s", pruned, before.isoformat())
    return []
