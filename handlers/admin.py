"""Committee administrators: bind a group to a building, name leaders and roles."""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.core.context import Context, Refusal
from bot.core.lookup import one_mentioned
from bot.core.parser import for_matching
from bot.core.rules import admin
from bot.core.router import Router
from storage.models import ROLE_LABELS, ROLE_WORDS, Building, RoleGrant, RoleName
from storage.staff.buildings import building_name  # one reading of 12 / 12号 / 12号楼 for chat and roster

router = Router("admin", topic="管理")



@router.command("绑定", "bind", permission=admin(), bound=False, usage="#绑定 <楼号>", example="#绑定 12号楼", common=True,
                summary="把本群绑定到一栋楼（管理员）")
async def bind(ctx: Context, args: str) -> str:
    """Bind this group to a building, created if new."""
    name = building_name(args)
    if not name or len(name) > 32:
        raise Refusal("请写上楼号，例如：#绑定 12号楼")
    building = await ctx.session.scalar(select(Building).where(Building.name == name))
    if building is None:
        building = Building(name=name, created_at=ctx.now)
        ctx.session.add(building)
        await ctx.session.flush()
    previous = ctx.building
    if previous is not None and previous.id == building.id:
        return f"本群已经绑定 {name}，无需重复绑定。"
    ctx.group.building_id = building.id
    ctx.group.bound_at = ctx.now
    ctx.group.bound_by = ctx.message.sender_id
    if previous is not None:
        return f"本群已从 {previous.name} 改绑到 {name}。"
    return f"本群已绑定 {name}。居民发送 #帮助 可查看指令；管理员可发 #设楼组长 @李阿姨 指定楼组长（@ 后从名单里点选）。"


def _typed_name(ctx: Context) -> str:
    """The name typed where an @-mention should be ("#设楼组长 李楼长"), for the example; 李阿姨 when none was."""
    words = [w.lstrip("@") for w in for_matching(ctx.args).split() if w not in ROLE_WORDS]
    return words[0] if words and len(words[0]) <= 10 else "李阿姨"


async def _grant(ctx: Context, role: RoleName) -> str:
    target = await one_mentioned(ctx, f"#{ctx.keyword} @{_typed_name(ctx)}" + (f" {ROLE_LABELS[role]}" if role != RoleName.LEADER else ""))
    assert ctx.building is not None
    exists = await ctx.session.scalar(select(RoleGrant.id).where(
        RoleGrant.member_id == target.id, RoleGrant.building_id == ctx.building.id, RoleGrant.role == role.value))
    label = ROLE_LABELS[role]
    if exists:
        return f"{target.display_name} 已经是 {ctx.building.name} 的{label}。"
    ctx.session.add(RoleGrant(member_id=target.id, building_id=ctx.building.id, role=role.value,
                              granted_by=ctx.message.sender_id, granted_at=ctx.now))
    return f"已设 {target.display_name} 为 {ctx.building.name} 的{label}。"


async def _revoke(ctx: Context, role: RoleName) -> str:
    target = await one_mentioned(ctx, f"#{ctx.keyword} @{_typed_name(ctx)}" + (f" {ROLE_LABELS[role]}" if role != RoleName.LEADER else ""))
    assert ctx.building is not None
    result = await ctx.session.execute(delete(RoleGrant).where(
        RoleGrant.member_id == target.id, RoleGrant.building_id == ctx.building.id, RoleGrant.role == role.value))
    label = ROLE_LABELS[role]
    if not result.rowcount:
        raise Refusal(f"{target.display_name} 不是 {ctx.building.name} 的{label}，无需撤销。")
    return f"已撤销 {target.display_name} 在 {ctx.building.name} 的{label}身份。"


@router.command("设楼组长", "setleader", permission=admin(), usage="#设楼组长 @某人", example="#设楼组长 @李阿姨", common=True, summary="指定本楼楼组长（管理员）")
async def set_leader(ctx: Context) -> str:
    """Grant the leader role in this building."""
    return await _grant(ctx, RoleName.LEADER)


@router.command("撤楼组长", "unsetleader", permission=admin(), usage="#撤楼组长 @某人", example="#撤楼组长 @李阿姨", summary="撤销楼组长（管理员）")
async def unset_leader(ctx: Context) -> str:
    """Remove the leader role in this building."""
    return await _revoke(ctx, RoleName.LEADER)


async def _role_from(ctx: Context, args: str) -> RoleName:
    words = for_matching(args).split()
    role = ROLE_WORDS.get(words[-1]) if words else None
    if not ctx.mentions:
        # "#设角色 吴大爷 志愿者": the name was typed, not picked, so WeChat sent no @-mention.
        await one_mentioned(ctx, f"#{ctx.keyword} @{_typed_name(ctx)} {ROLE_LABELS[role] if role else '志愿者'}")
    if role is None or len(words) != 1:
        raise Refusal(f"角色只能是：{'、'.join(ROLE_LABELS.values())}。例如：#{ctx.keyword} @吴大爷 志愿者")
    return role


@router.command("设角色", "setrole", permission=admin(), usage="#设角色 @某人 <角色>", example="#设角色 @吴大爷 志愿者",
                summary="设党员、志愿者、保洁、网格长等角色（管理员）")
async def set_role(ctx: Context, args: str) -> str:
    """Grant a role in this building."""
    return await _grant(ctx, await _role_from(ctx, args))


@router.command("撤角色", "unsetrole", permission=admin(), usage="#撤角色 @某人 <角色>", example="#撤角色 @吴大爷 志愿者", summary="撤销角色（管理员）")
async def unset_role(ctx: Context, args: str) -> str:
    """Remove a role in this building."""
    return await _revoke(ctx, await _role_from(ctx, args))
