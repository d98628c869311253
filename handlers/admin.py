"""Committee administrators: bind a group to a building, name leaders and roles."""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.core.context import Context, Refusal
from bot.core.lookup import one_mentioned
from bot.core.parser import for_matching
from bot.core.rules import admin
from bot.core.router import Router
from storage import membership
from storage.building_names import building_name, canonical_building
from storage.models import ROLE_LABELS, ROLE_WORDS, Building, RoleGrant, RoleName
from storage.staff import StaffError
from storage.staff import buildings as staff_buildings

router = Router("admin", topic="管理")

CONFIRM = "确认"  # the last word that confirms a re-bind or an unusual building name


def _confirmed(args: str) -> tuple[str, bool]:
    """The text of ``args`` without a trailing 确认, and whether it was there."""
    text = args.strip()
    if text == CONFIRM or text.endswith(" " + CONFIRM):
        return text[:-len(CONFIRM)].strip(), True
    return text, False


async def _building_named(ctx: Context, text: str, command: str, confirmed: bool) -> tuple[str, Building | None]:
    """The name ``text`` stands for, and the building of that name if there is one.

    A name that is no building number (十二号楼, 12栋, 第十二幢, 12号: all 12号楼) and names no
    building yet needs 确认: a typo would otherwise become a building of its own.
    """
    name = building_name(text)
    if not name or len(name) > 32:
        raise Refusal(f"请写上楼号，例如：{command} 12号楼")
    building = await ctx.session.scalar(select(Building).where(Building.name == name))
    if building is None and canonical_building(text) is None and not confirmed:
        raise Refusal(f"“{name}”不像楼号（例如 12号楼）。确实要用这个名字，请发送：{command} {name} {CONFIRM}")
    return name, building


@router.command("绑定", "bind", permission=admin(), bound=False, usage="#绑定 <楼号>", example="#绑定 12号楼", common=True,
                summary="把本群绑定到一栋楼（管理员）；改绑或不常见的楼名要加“确认”")
async def bind(ctx: Context, args: str) -> str:
    """Bind this group to a building, created if new; a re-bind or an unusual name needs 确认."""
    text, confirmed = _confirmed(args)
    name, building = await _building_named(ctx, text, "#绑定", confirmed)
    previous = ctx.building
    if previous is not None and building is not None and previous.id == building.id:
        return f"本群已经绑定 {name}，无需重复绑定。"
    if previous is not None and not confirmed:
        raise Refusal(f"本群已绑定 {previous.name}。确实要改绑到 {name}，请发送：#绑定 {name} {CONFIRM}")
    if building is None:
        building = Building(name=name, created_at=ctx.now)
        ctx.session.add(building)
        await ctx.session.flush()
    ctx.group.building_id = building.id
    ctx.group.bound_at = ctx.now
    ctx.group.bound_by = ctx.message.sender_id
    if previous is not None:
        said = f"本群已从 {previous.name} 改绑到 {name}。"
        if await staff_buildings.remove_if_empty(ctx.session, previous):  # a building made by mistake
            said += f"{previous.name} 没有别的群和任何记录，已删除。"
        return said
    return f"本群已绑定 {name}。居民发送 #帮助 可查看指令；管理员可发 #设楼组长 @李阿姨 指定楼组长（@ 后从名单里点选）。"


def _typed_name(ctx: Context) -> str:
    """The name typed where an @-mention should be ("#设楼组长 李楼长"), for the example; 李阿姨 when none was."""
    words = [w.lstrip("@") for w in for_matching(ctx.args).split() if w not in ROLE_WORDS]
    return words[0] if words and len(words[0]) <= 10 else "李阿姨"


@router.command("楼栋列表", "buildings", permission=admin(), bound=False, usage="#楼栋列表", example="#楼栋列表",
                summary="所有楼栋和它们的群、楼组长（管理员）")
async def list_buildings(ctx: Context) -> str:
    """Every building with its groups and leaders; the ones with no group are marked."""
    lines = await staff_buildings.list_buildings(ctx.session)
    if not lines:
        return "还没有楼栋。在楼组群里发送 #绑定 12号楼 绑定。"
    said = [f"共 {len(lines)} 栋楼："]
    for line in lines:
        groups = "、".join(line.topics) or "没有群"
        leaders = f"；楼组长 {'、'.join(line.leaders)}" if line.leaders else ""
        said.append(f"{line.building.name}：{groups}{leaders}")
    return "\n".join(said)


@router.command("改名", "rename", permission=admin(), usage="#改名 <楼名>", example="#改名 12号楼",
                summary="给本群的楼栋改名（管理员）")
async def rename(ctx: Context, args: str) -> str:
    """Rename this group's building (its other groups, members and records go with it)."""
    assert ctx.building is not None
    text, confirmed = _confirmed(args)
    name, other = await _building_named(ctx, text, "#改名", confirmed)
    if other is not None and other.id != ctx.building.id:
        raise Refusal(f"已经有叫 {name} 的楼栋。要把本群归到 {name}，请发送：#绑定 {name} {CONFIRM}")
    try:
        return await staff_buildings.rename(ctx.session, ctx.building.name, name)
    except StaffError as error:
        raise Refusal(str(error)) from None


@router.command("解绑", "unbind", permission=admin(), usage="#解绑", example="#解绑", summary="解除本群与楼栋的绑定（管理员）")
async def unbind(ctx: Context) -> str:
    """Unbind this group; a building left with nothing at all (a wrongly made one) is removed."""
    building = ctx.building
    assert building is not None
    ctx.group.building_id = None
    ctx.group.bound_at = None
    ctx.group.bound_by = None
    said = f"本群已解除与 {building.name} 的绑定。"
    if await staff_buildings.remove_if_empty(ctx.session, building):
        return said + f"{building.name} 没有别的群和任何记录，已删除。"
    return said + f"重新绑定请发送：#绑定 {building.name}"


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
    await ctx.session.flush()
    await membership.settle_home(ctx.session, target, admin=target.wechat_id in ctx.settings.admin_ids)
    return f"已设 {target.display_name} 为 {ctx.building.name} 的{label}。"


async def _revoke(ctx: Context, role: RoleName) -> str:
    target = await one_mentioned(ctx, f"#{ctx.keyword} @{_typed_name(ctx)}" + (f" {ROLE_LABELS[role]}" if role != RoleName.LEADER else ""))
    assert ctx.building is not None
    result = await ctx.session.execute(delete(RoleGrant).where(
        RoleGrant.member_id == target.id, RoleGrant.building_id == ctx.building.id, RoleGrant.role == role.value))
    label = ROLE_LABELS[role]
    if not result.rowcount:
        raise Refusal(f"{target.display_name} 不是 {ctx.building.name} 的{label}，无需撤销。")
    await membership.settle_home(ctx.session, target, admin=target.wechat_id in ctx.settings.admin_ids)
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
