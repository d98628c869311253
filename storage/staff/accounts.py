"""The web desk's staff accounts and its audit trail: add a user, check a password, write and read who changed what.

Passwords are kept as argon2 hashes only. Five wrong passwords in a row lock an account for
LOCK_MINUTES; the right password afterwards opens it again and clears the count. Signing out
and a new password end every session of the account, in every browser: a session carries the
account's ``session_epoch`` from its sign-in, and is void once the epoch has moved on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, StaffUser
from storage.staff import StaffError

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 8
PASSWORD_SET = "重设密码"
SIGNED_OUT = "退出登录（这个账号在各处的登录都已结束）"

_hasher = PasswordHasher()


async def add_user(session: AsyncSession, name: str, password: str, now: datetime) -> str:
    """Create a staff account, or set a new password for one that exists (and unlock it); says which."""
    name = name.strip()
    if not name or len(name) > 64:
        raise StaffError("用户名不能为空，最多 64 个字")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"密码太短：至少 {MIN_PASSWORD} 位")
    user = await session.scalar(select(StaffUser).where(StaffUser.name == name))
    if user is None:
        session.add(StaffUser(name=name, password_hash=_hasher.hash(password), failed_logins=0, created_at=now))
        await audit(session, name, f"staff:{name}", "新建网页账号", now)
        return f"已新建账号 {name}"
    user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    await audit(session, name, f"staff:{name}", PASSWORD_SET, now)
    return f"已为 {name} 重设密码"


@dataclass(frozen=True)
class SignIn:
    ok: bool
    locked_until: datetime | None = None  # set when the account is (now) locked


async def check_password(session: AsyncSession, name: str, password: str, now: datetime) -> SignIn:
    """Whether ``password`` is ``name``'s; counts wrong ones and locks the account at the fifth.

    An unknown name costs a hash too, so that a wrong name and a wrong password take as long.
    """
    user = await session.scalar(select(StaffUser).where(StaffUser.name == name.strip()))
    if user is None:
        _hasher.hash(password)
        return SignIn(False)
    if user.locked_until is not None and user.locked_until > now:
        return SignIn(False, user.locked_until)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.failed_logins, user.locked_until = 0, now + timedelta(minutes=LOCK_MINUTES)
            await audit(session, user.name, f"staff:{user.name}", f"连续 {MAX_FAILURES} 次密码错误，锁定 {LOCK_MINUTES} 分钟", now)
            return SignIn(False, user.locked_until)
        return SignIn(False)
    user.failed_logins, user.locked_until = 0, None
    return SignIn(True)


async def session_epoch(session: AsyncSession, name: str) -> int:
    """How many times the account's sessions have been ended (sign-outs and new passwords, from its audit)."""
    return int(await session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.target == f"staff:{name}", AuditEntry.action.in_((PASSWORD_SET, SIGNED_OUT)))) or 0)


async def sign_out(session: AsyncSession, name: str, now: datetime) -> None:
    """End every session of ``name`` (this browser's and any other's), and say so in the account's audit."""
    await audit(session, name, f"staff:{name}", SIGNED_OUT, now)


async def audit(session: AsyncSession, staff_name: str, target: str, action: str, now: datetime) -> None:
    """Record one change: who, on what (``kind:id``), what, when; in the caller's transaction."""
    session.add(AuditEntry(staff_name=staff_name, target=target[:64], action=action, created_at=now))


async def audit_of(session: AsyncSession, target: str, limit: int = 50) -> list[AuditEntry]:
    """The changes made to ``target``, newest first."""
    rows = await session.scalars(select(AuditEntry).where(AuditEntry.target == target)
                                 .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit))
    return list(rows)
