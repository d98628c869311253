"""The committee's web desk: server-rendered pages for staff at the office PC, on the bot's own database.

Another interface beside the transports: it calls the same staff operations as `louzu …`
(storage/staff/) and never sends to the groups itself. ``make_app(settings)`` builds the
Starlette application; `louzu web` serves it with uvicorn.
"""

from bot.web.app import make_app

__all__ = ["make_app"]
