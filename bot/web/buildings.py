"""The desk's buildings: each with its groups, leaders and this week's stars and place; one building's last 12 weeks as a chart."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from bot.web.charts import trend
from bot.web.desk import desk_of, staff_page
from storage.models import Building
from storage.staff.trends import PARTS, buildings_this_week, star_weeks

LOW = 3  # fewer stars than this is "below 3 stars" on the overview


@staff_page
async def buildings(request: Request):
    desk = desk_of(request)
    low = request.query_params.get("stars") == "low"
    async with desk.sessions() as session:  # taken afresh: a change staff just made shows at once
        ranked = await buildings_this_week(session, desk.clock(), desk.settings)
    shown = [r for r in ranked if r.rating.stars < LOW] if low else ranked
    return desk.render(request, "buildings.html", ranked=shown, total=len(ranked), low=low, parts=PARTS)


@staff_page
async def building_page(request: Request):
    desk = desk_of(request)
    number = request.path_params["number"]
    async with desk.sessions() as session:
        building = await session.get(Building, number)
        if building is None:
            raise HTTPException(404)
        weeks = await star_weeks(session, building, desk.clock(), desk.settings)
        this = (await buildings_this_week(session, desk.clock(), desk.settings, building_id=number))[0]
    chart = trend([w.label for w in weeks], [w.rating.stars for w in weeks],
                  [(word, [getattr(w.rating, key) for w in weeks]) for key, word, _ in PARTS],
                  f"{building.name} 最近 {len(weeks)} 周的星级")
    return desk.render(request, "building.html", building=building, weeks=weeks, this=this, chart=chart, parts=PARTS)


def routes() -> list[Route]:
    return [Route("/buildings", buildings, methods=["GET"]),
            Route("/buildings/{number:int}", building_page, methods=["GET"])]
