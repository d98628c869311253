"""The community's records: buildings, groups, members, reports, claims and the points ledger."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, LargeBinary, String, Table, Text, Unicode,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class RoleName(str, enum.Enum):
    """Roles held per building."""

    LEADER = "leader"  # 楼组长
    GRID_LEADER = "grid_leader"  # 网格长
    PARTY_MEMBER = "party_member"  # 党员
    VOLUNTEER = "volunteer"  # 志愿者
    CLEANER = "cleaner"  # 保洁


# How people write the roles in commands and in the reminders file, and how replies name them.
ROLE_WORDS = {
    "楼组长": RoleName.LEADER, "网格长": RoleName.GRID_LEADER, "党员": RoleName.PARTY_MEMBER,
    "志愿者": RoleName.VOLUNTEER, "保洁": RoleName.CLEANER, "保洁员": RoleName.CLEANER,
}
ROLE_LABELS = {RoleName.LEADER: "楼组长", RoleName.GRID_LEADER: "网格长", RoleName.PARTY_MEMBER: "党员",
               RoleName.VOLUNTEER: "志愿者", RoleName.CLEANER: "保洁"}


class Building(Base):
    """A building (楼), the unit that has a group, leaders, reports and a ranking."""

    __tablename__ = "buildings"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Group(Base):
    """A WeChat group (楼组群) and the building it is bound to, if any."""

    __tablename__ = "groups"
    room_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    topic: Mapped[str] = mapped_column(String(256), default="")
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bound_by: Mapped[str | None] = mapped_column(String(128))
    building: Mapped[Building | None] = relationship(lazy="raise")


class Member(Base):
    """A person the bot has seen, keyed by their WeChat contact id."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    wechat_id: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    # Home building: where they live (the roster), else where they lead, else the first building whose
    # group they were seen in; None for a committee administrator who is no resident (storage/membership.py).
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The group they last used the bot in: where messages about them go (storage/membership.py).
    last_room_id: Mapped[str | None] = mapped_column(String(128))


class GroupMember(Base):
    """Someone seen in a group (they used the bot there, or were @-mentioned there): who is in which group."""

    __tablename__ = "group_members"
    room_id: Mapped[str] = mapped_column(ForeignKey("groups.room_id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, index=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Resident(Base):
    """A resident on the committee's roster (名册): building, 门牌号 and name; linked to a member once known.

    Imported with `louzu roster import`. One known by name only is linked when they first speak
    in their building's group under that name (storage/roster.py), or by a leader's #门牌.
    """

    __tablename__ = "residents"
    __table_args__ = (UniqueConstraint("building_id", "door", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    door: Mapped[str] = mapped_column(String(32))  # 门牌号: 1201, 3-201
    name: Mapped[str] = mapped_column(String(64))
    wechat_id: Mapped[str | None] = mapped_column(String(128))
    roles: Mapped[str] = mapped_column(String(128), default="")  # RoleName values, comma-separated
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), unique=True)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoleGrant(Base):
    """A role a member holds in one building, and who granted it."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("member_id", "building_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    granted_by: Mapped[str] = mapped_column(String(128))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Activity(Base):
    """An entry of the activity catalogue that `#打卡` claims points for."""

    __tablename__ = "activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    points: Mapped[int] = mapped_column(Integer)  # per unit
    unit: Mapped[str] = mapped_column(String(16), default="次")
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=True)
    daily_cap: Mapped[int | None] = mapped_column(Integer)  # units per person per day
    max_quantity: Mapped[int] = mapped_column(Integer, default=1)  # units in one claim
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Claim(Base):
    """A points claim C<n>: approved at once or pending a leader."""

    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_member_created", "member_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # approved, pending, rejected, expired
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    activity: Mapped[Activity] = relationship(lazy="joined", innerjoin=True)

    def described(self) -> str:
        """How a claim reads in chat: 捡垃圾 2次."""
        return f"{self.activity.name} {self.quantity}{self.activity.unit}"


class LedgerEntry(Base):
    """One line of the love savings bank (爱心储蓄银行). Never updated, never deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_member_created", "member_id", "created_at"),
        Index("ix_ledger_building_created", "building_id", "created_at"),
        # A period's lines for every building at once (storage/ratings.py, building_rankings): all they read.
        Index("ix_ledger_created_building", "created_at", "building_id", "member_id", "amount", "kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    amount: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # None: the bot itself
    ref_type: Mapped[str | None] = mapped_column(String(16))
    ref_id: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Report(Base):
    """A resident's report R<n> of a problem in the building (随手拍)."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # open, assigned, resolved, closed
    photo_path: Mapped[str | None] = mapped_column(String(512))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    room_id: Mapped[str | None] = mapped_column(String(128))  # the group it was reported in
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReportEvent(Base):
    """One step in a report's history: who did what, when (append-only)."""

    __tablename__ = "report_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # None: the bot itself
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What the step set, so the report's state can be replayed from its history alone.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))


class DirectoryVersion(Base):
    """One row counting every change to who is who (buildings, groups, members, role_grants): triggers keep it.

    A bot process remembers who is who from one message to the next (storage/directory.py) and
    reads only this number, with each message's processed mark, to know that it still holds;
    triggers count every writer's changes, other processes' and hand-made ones included.
    (Migration 0005 makes the triggers. A later migration that rebuilds one of those tables on
    SQLite, as Alembic's batch mode does, must make its triggers again: tests/test_directory.py
    would tell.)
    """

    __tablename__ = "directory_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class ProcessedMessage(Base):
    """A message id already handled: a redelivered message has no second effect.

    Who sent it and what it was (``kind``: a command, a limit's notice, an unbound group's
    answer) is what the limits count, in the database so that they hold across bot processes.
    Rows older than LOUZU_PROCESSED_RETENTION_DAYS are pruned (schedules/housekeeping.py).
    """

    __tablename__ = "processed_messages"
    # Every message writes a row, and each index costs every message: one for the limits, and one
    # holding only unbound groups' answers ("was this group told lately"). Pruning reads the table through.
    __table_args__ = (Index("ix_processed_messages_sender", "sender_id", "processed_at"),
                      Index("ix_processed_messages_unbound", "room_id", "processed_at",
                            sqlite_where=text("kind = 'unbound'"), postgresql_where=text("kind = 'unbound'")))
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(128))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sender_id: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str | None] = mapped_column(String(16))


class ReportPhoto(Base):
    """A photo attached to a report, stored under the media directory by content hash."""

    __tablename__ = "report_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    path: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PendingPhoto(Base):
    """A photo someone sent in a group, waiting (2 minutes) for their #报修 to take it."""

    __tablename__ = "pending_photos"
    __table_args__ = (Index("ix_pending_photos_room_sender", "room_id", "sender_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[str] = mapped_column(String(128))
    sender_id: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))  # set once attached


class Gift(Base):
    """A small gift points can be exchanged for."""

    __tablename__ = "gifts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Redemption(Base):
    """A redemption X<n>: points held at once, the gift handed over by a leader."""

    __tablename__ = "redemptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    gift_id: Mapped[int] = mapped_column(ForeignKey("gifts.id"))
    cost: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # held, handed_over, cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    gift: Mapped[Gift] = relationship(lazy="joined", innerjoin=True)


class Thanks(Base):
    """#点赞: one person thanks another (a cleaner, a volunteer)."""

    __tablename__ = "thanks"
    __table_args__ = (Index("ix_thanks_giver_created", "giver_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    giver_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Patrol(Base):
    """#巡查: a patrol by a party member or volunteer (the daily inspections)."""

    __tablename__ = "patrols"
    __table_args__ = (Index("ix_patrols_building_created", "building_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ScheduledNotice(Base):
    """A leader's scheduled notice S<n> (#定时): posted in its group at its time, or at each of its times."""

    __tablename__ = "scheduled_notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[str] = mapped_column(String(128), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    text: Mapped[str] = mapped_column(Text)
    when_text: Mapped[str] = mapped_column(String(64))  # as people read it: 每周六 09:00
    cron: Mapped[str | None] = mapped_column(String(64))  # a repeating notice: "0 9 * * sat"
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a one-off notice
    status: Mapped[str] = mapped_column(String(16), index=True)  # active, done, cancelled, missed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Chain(Base):
    """A sign-up chain J<n> (接龙): an activity at a time, people sign up, a leader marks who came."""

    __tablename__ = "chains"
    __table_args__ = (Index("ix_chains_room_status", "room_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    room_id: Mapped[str] = mapped_column(String(128))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    title: Mapped[str] = mapped_column(Text)  # 楼道大扫除
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))  # from the catalogue, if any
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: a WeChat 接龙 not yet taken over
    when_text: Mapped[str] = mapped_column(String(64), default="")  # 11月28日 09:00
    places: Mapped[int | None] = mapped_column(Integer)  # 限N人; None: no limit
    points: Mapped[int] = mapped_column(Integer, default=0)  # each attendee's
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # open, closed, cancelled; offered: a WeChat 接龙 seen in the group, waiting for a leader's #接龙 接管
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChainSignup(Base):
    """One name on a chain's list: a member's own, or a name they signed up for someone without WeChat (代)."""

    __tablename__ = "chain_signups"
    __table_args__ = (UniqueConstraint("chain_id", "member_id", "proxy_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("chains.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # who signed; None: from a WeChat 接龙
    proxy_name: Mapped[str] = mapped_column(String(64), default="")  # '' for oneself
    name: Mapped[str] = mapped_column(String(128))  # as the list shows it
    waiting: Mapped[bool] = mapped_column(Boolean, default=False)  # 候补: on the waiting list
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChainAttendance(Base):
    """A member marked as having come to chain J<n>: at most once (the constraint), with the ledger line it paid."""

    __tablename__ = "chain_attendance"
    __table_args__ = (UniqueConstraint("chain_id", "member_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("chains.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)  # 0 when the activity's daily cap was reached
    marked_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class OutboxMessage(Base):
    """A post the paced outbox sends (broadcasts, notices, scheduled posts), kept before it is sent.

    Marked sent one by one, so a restart resumes where it stopped; a send that keeps
    failing is marked failed with its error (shown by `louzu doctor`).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "priority", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(64))  # what it belongs to: "S3", "weekly_ranking", "notice 全部"
    priority: Mapped[int] = mapped_column(Integer, default=1)  # lower goes first
    room_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    mention: Mapped[str] = mapped_column(Text, default="")  # WeChat ids, one per line
    image: Mapped[str | None] = mapped_column(String(512))
    hold_quiet: Mapped[bool] = mapped_column(Boolean, default=True)  # scheduled: waits out the quiet hours
    status: Mapped[str] = mapped_column(String(16))  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sender: Mapped[str | None] = mapped_column(String(128))  # the WeChat account that took it (several accounts)


class BotAccount(Base):
    """A WeChat account a bot process is logged in to, and when that process last said it is alive.

    With several accounts on one PostgreSQL database, each process beats every
    LOUZU_HEARTBEAT_SECONDS; one that stops beating has died (`louzu doctor` says so).
    """

    __tablename__ = "bot_accounts"
    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountRoom(Base):
    """A group a bot account is in: as its gateway listed them at login, and as it joined or left since.

    ``seen_at`` is since when the account is in the group as far as the bot knows (the login or the
    first message that showed it there; kept over a restart that comes before any other process can
    have taken it for silent, within SILENT_BEATS - 1 heartbeats of its last beat). Of the live
    accounts in a group, the one there longest answers (ties by id): a newcomer never takes over.
    """

    __tablename__ = "account_rooms"
    __table_args__ = (Index("ix_account_rooms_room", "room_id"),)
    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReportAlert(Base):
    """An overdue report raised with the building's leaders (overdue) or escalated (escalate), once each."""

    __tablename__ = "report_alerts"
    __table_args__ = (UniqueConstraint("report_id", "level"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    level: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffUser(Base):
    """A committee member who may sign in to the web desk (`louzu web add-user`); an argon2 hash, never the password.

    Five wrong passwords in a row lock the account until ``locked_until`` (storage/staff/accounts.py).
    """

    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who changed what, and when, at the web desk: one row per change, shown on the page of the thing changed."""

    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_name: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64), index=True)  # "activity:3", "gift:2", "roster", "staff:王主任"
    action: Mapped[str] = mapped_column(Text)  # in Chinese, as staff read it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# APScheduler's persistent job store (schedules/). APScheduler reads and writes the rows
# (pickled jobs); the table is declared here so that the migrations create it like any other.
scheduler_jobs = Table(
    "apscheduler_jobs", Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
