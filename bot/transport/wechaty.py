"""The Wechaty transport: python-wechaty as the client of a Wechaty puppet service (real WeChat).

A puppet service (the "gateway") holds the logged-in WeChat account and speaks gRPC;
python-wechaty 0.10.7 is its client.  We keep ONE python-wechaty ``Wechaty`` for the life of
the process and drive its connection ourselves: a supervisor loop connects, notices when the
gateway goes away (or is not there yet), and connects again after a short, growing wait, so
the bot never exits and never loses its state because the gateway restarted.

python-wechaty's own ``Wechaty.start()`` is not used: after a dropped connection it sleeps
60 s before trying again, and on some errors it stops the whole event loop.  Nor is its client
of the gateway: it loads ours (bot/transport/puppet_service.py), which reads 1.x gateways'
photos, speaks TLS and renames groups.  Each of the other workarounds says why where it is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timezone

from bot.core.messages import Attachment, IncomingMessage, Mention, Reply
from bot.core.settings import Settings
from bot.transport import BotCore
from bot.transport.puppet_channel import Tls
from bot.transport.wechaty_gateway import NotConnected, check_reachable, discover_endpoint
from bot.transport.wechaty_media import file_name, save_file_box
from bot.transport.wechaty_compat import NoPlugins, load_wechaty, route_wechaty_logs, use_data_dir

log = logging.getLogger(__name__)

PRIVATE_HINT = "请在所在楼组的群里@我或发 #帮助 使用，私聊暂不办理。"
PRIVATE_HINT_EVERY = 3600.0  # seconds: one hint per person per hour, however much they write
BACKOFF = (0.5, 5.0)  # seconds to wait before connecting again: the first wait, doubling up to the last
PING_EVERY, PING_TIMEOUT = 60.0, 15.0  # a ding to the gateway this often, to be answered within this
NICKNAME_TTL = 300.0  # seconds a member's group nickname is taken as known
STILL_DOWN_EVERY = 60.0  # while the gateway stays away: a warning this often (each retry logs at DEBUG)


class WechatyTransport:
    """Room messages in as IncomingMessage, replies out with real @-mentions, through a gateway."""

    name = "wechaty"

    def __init__(self, settings: Settings, *, backoff: tuple[float, float] = BACKOFF,
                 ping: tuple[float, float] = (PING_EVERY, PING_TIMEOUT)) -> None:
        self.settings = settings
        self.bot_id = ""
        self.bot_name = settings.bot_name
        self.endpoint = settings.puppet_endpoint
        self.backoff = backoff
        self.ping_every, self.ping_timeout = ping
        self.core: BotCore | None = None
        self.logged_in = asyncio.Event()  # from the login until that connection ends
        self._stopping = asyncio.Event()
        self._session: asyncio.Task | None = None
        self._hinted: dict[str, float] = {}
        self._nicknames: dict[tuple[str, str], tuple[float, str]] = {}  # (room, member): (when asked, nickname)

        use_data_dir(settings.data_dir)
        wechaty = load_wechaty()
        # python-wechaty logs a line per message at INFO, and its token: ours only at DEBUG, blotted.
        route_wechaty_logs(logging.INFO if settings.log_level == "DEBUG" else logging.WARNING, settings.puppet_token)
        from wechaty.user import Contact, Room, Tag
        from wechaty_puppet import FileBox, MessageType
        from wechaty_puppet.schemas.puppet import PuppetOptions

        from bot.transport.puppet_service import PuppetServiceClient

        self._FileBox, self._MessageType, self._pools = FileBox, MessageType, (Room._pool, Contact._pool, Tag._pool)
        # A PuppetOptions of our own: WechatyOptions' default one is shared by every instance.
        puppet_options = PuppetOptions(token=settings.puppet_token, end_point=settings.puppet_endpoint or None)
        tls = Tls(settings.puppet_tls, settings.puppet_tls_ca_cert, settings.puppet_tls_server_name)

        def new_client(_options=None) -> PuppetServiceClient:
            return PuppetServiceClient(puppet_options, tls=tls, max_file_bytes=settings.max_photo_bytes)

        options = wechaty.WechatyOptions(name="louzu", puppet=new_client(), puppet_options=puppet_options)
        self._bot = wechaty.Wechaty(options)
        # python-wechaty calls self._load_puppet(options) at each connect: a fresh client of ours each time.
        self._bot._load_puppet = new_client
        self._bot._plugin_manager = NoPlugins()
        for event, handler in (("login", self._on_login), ("logout", self._on_logout), ("scan", self._on_scan),
                               ("error", self._on_error), ("message", self._on_message),
                               ("room-join", self._on_room_join), ("room-leave", self._on_room_leave),
                               ("room-topic", self._on_room_topic)):
            self._bot.on(event, handler)

    # The connection ---------------------------------------------------------------------

    async def run(self, core: BotCore) -> None:
        """Stay connected until ``stop()``: connect, and connect again whenever the connection ends."""
        self.core = core
        failures, warned_at = 0, float("-inf")
        try:
            while not self._stopping.is_set():
                reason, had_login = await self._one_connection()
                if self._stopping.is_set():
                    break
                if had_login:
                    failures = 0
                    log.warning("lost the puppet service at %s (%s); connecting again", self.endpoint, reason)
                    warned_at = time.monotonic()
                else:
                    failures += 1
                    if failures == 1 or time.monotonic() - warned_at >= STILL_DOWN_EVERY:
                        log.warning("cannot reach the puppet service at %s (%s); still trying (%d tries so far)",
                                    self.endpoint or "(token discovery)", reason, failures)
                        warned_at = time.monotonic()
                    else:
                        log.debug("try %d: %s", failures, reason)
                first, last = self.backoff
                wait = min(first * 2 ** max(failures - 1, 0), last)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), wait)
        finally:
            self._hang_up()

    async def _one_connection(self) -> tuple[str, bool]:
        """Connect and listen until the connection ends; why it ended, and whether we had logged in."""
        session = asyncio.create_task(self._connect_and_listen(), name="louzu-wechaty-session")
        self._session = session
        try:
            await asyncio.wait({session})
        finally:
            self._session = None
            if not session.done():
                session.cancel()
                await asyncio.wait({session})
            had_login = self.logged_in.is_set()
            self.logged_in.clear()
            if had_login and self.core is not None:
                self.core.on_logout()
            self._hang_up()
        if session.cancelled():
            return "stopped", had_login
        error = session.exception()
        if error is None:
            return "the gateway ended the event stream", had_login
        if isinstance(error, NotConnected):  # ours: it says what went wrong
            return str(error), had_login
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        # A gateway's error may quote the token back (1.x: "Invalid Wechaty TOKEN …").
        return reason.replace(self.settings.puppet_token, "***") if self.settings.puppet_token else reason, had_login

    async def _connect_and_listen(self) -> None:
        self.endpoint = self.settings.puppet_endpoint or await discover_endpoint(self.settings.puppet_token)
        await check_reachable(self.endpoint)
        # python-wechaty caches every Room and Contact it loads, payload and all, in class-level
        # pools; after a reconnect the gateway may have restarted, so fetch them afresh.
        for pool in self._pools:
            pool.clear()
        self._nicknames.clear()
        bot = self._bot
        await bot.init_puppet()
        bot.puppet.options.end_point = self.endpoint
        await bot.init_puppet_event_bridge(bot.puppet)
        listen = asyncio.create_task(bot.puppet.start())  # returns or raises only when the stream ends
        ping = asyncio.create_task(self._keep_pinging())
        try:
            done, _ = await asyncio.wait({listen, ping}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in (listen, ping):
                task.cancel()
            await asyncio.gather(listen, ping, return_exceptions=True)

    async def _keep_pinging(self) -> None:
        """A connection can die without a word (a router forgets it, the gateway's host vanishes);
        the event stream would wait forever, a ding that goes unanswered tells us."""
        while True:
            await asyncio.sleep(self.ping_every)
            try:
                await asyncio.wait_for(self._bot.puppet.ding("louzu"), self.ping_timeout)
            except asyncio.TimeoutError:
                raise NotConnected(f"no answer to a ding within {self.ping_timeout:g} s") from None

    def _hang_up(self) -> None:
        """Close our side of the gateway connection and drop python-wechaty's listeners on it.

        Left behind, those listeners would deliver every event twice after the next connect.  The
        gateway is not told to stop its puppet (python-wechaty's ``stop()`` would): its account
        stays logged in for our next connect, and a dead or hung gateway would only keep us waiting.
        """
        bot = self._bot
        puppet, bot._puppet = bot._puppet, None
        if puppet is None:
            return
        puppet._event_stream.remove_all_listeners()
        # python-wechaty's handlers still running (fetching a message that just came in) fail now;
        # their errors are emitted as "error" events, which must have a listener or pyee raises.
        puppet._event_stream.on("error", lambda error: log.debug("after hanging up: %r", error))
        if puppet.channel is not None:
            puppet.channel.close()
            puppet.channel = None
        puppet._puppet_stub = None

    async def stop(self) -> None:
        self._stopping.set()
        if self._session is not None:
            self._session.cancel()

    # Events -------------------------------------------------------------------------------

    async def _on_login(self, contact) -> None:
        self.bot_id, self.bot_name = contact.contact_id, contact.name or self.settings.bot_name
        self.logged_in.set()
        encrypted = getattr(self._bot._puppet, "encrypted", False)
        log.info("logged in to WeChat as %s (%s) through the puppet service at %s (%s)",
                 contact.name, contact.contact_id, self.endpoint, "TLS" if encrypted else "not encrypted")
        if contact.name and contact.name != self.settings.bot_name:
            log.warning("the WeChat account is called %r but LOUZU_BOT_NAME is %r: set LOUZU_BOT_NAME=%s "
                        "so that the bot's own texts name it right", contact.name, self.settings.bot_name,
                        contact.name)
        try:  # which groups the account is in: with several accounts, it sends those groups' posts
            await self.core.on_login(contact.contact_id, list(await self._bot.puppet.room_list()))
        except Exception:
            log.exception("could not list the groups of the account %s; its posts wait until the next login",
                          contact.contact_id)

    async def _on_logout(self, contact) -> None:
        log.warning("the WeChat account %s logged out at the puppet service; the bot keeps running and answers "
                    "again once the gateway has logged it back in", getattr(contact, "name", "") or self.bot_id)

    async def _on_scan(self, qr_code: str, status, data=None) -> None:
        if qr_code:
            log.warning("the puppet service waits for someone to scan its login QR code (%s): "
                        "https://wechaty.js.org/qrcode/%s", getattr(status, "name", status), qr_code)

    def _on_error(self, error) -> None:
        log.warning("the puppet service reported an error: %s", getattr(error, "data", None) or error)

    async def _on_message(self, msg) -> None:
        try:
            await self._handle(msg)
        except Exception:
            # python-wechaty would log only "internal error <exc>", without the traceback.
            log.exception("message %s could not be handled", msg.message_id)

    def _learn_bot_id(self) -> str:
        """Our contact id, even before python-wechaty's login handler (racing this one) has told us."""
        if not self.bot_id and self._bot._puppet is not None:
            self.bot_id = self._bot._puppet.login_user_id or ""
        return self.bot_id

    async def _handle(self, msg) -> None:
        talker = msg.talker()
        if not self._learn_bot_id() or talker.contact_id == self.bot_id:
            return  # our own messages come back to us as events
        room = msg.room()
        if room is None:
            await self._private(talker)
            return
        kind, attachment = msg.type(), None
        if kind == self._MessageType.MESSAGE_TYPE_TEXT:
            text = msg.text()
        elif kind == self._MessageType.MESSAGE_TYPE_IMAGE:
            text, attachment = "", await self._picture(msg)
            if attachment is None:
                return  # a photo we could not read is a text-less message with nothing in it
        else:
            return  # stickers, voice, links, red envelopes: nothing the bot reads
        mentions, mentions_bot = [], False
        for contact in await msg.mention_list():
            shown = await self._shown_name(room, contact)
            if contact.contact_id == self.bot_id:
                # The parser knows "@LOUZU_BOT_NAME"; the account's name or group alias may differ.
                mentions_bot = True
                text = text.replace("@" + shown, " ")
            else:
                mentions.append(Mention(contact.contact_id, shown))
        message = IncomingMessage(
            id=msg.message_id, room_id=room.room_id, room_topic=await room.topic() or "",
            sender_id=talker.contact_id, sender_name=await self._shown_name(room, talker), text=text,
            time=_sent_at(msg), mentions=tuple(mentions), mentions_bot=mentions_bot, attachment=attachment)
        log.debug("message %s in %s (%s) from %s (%s)", message.id, message.room_id, message.room_topic,
                  message.sender_id, message.sender_name)  # how an IT volunteer finds ids for the settings
        try:
            await self.core.on_message(message)
        finally:
            if attachment is not None:  # the report feature keeps its own copy
                attachment.path.unlink(missing_ok=True)

    async def _picture(self, msg) -> Attachment | None:
        target = self.settings.media_dir / "incoming" / file_name(msg.message_id, None)
        try:
            box = await msg.to_file_box()
            target = target.with_name(file_name(msg.message_id, box.name))
            return Attachment(await save_file_box(box, target, self.settings.max_photo_bytes))
        except Exception as error:  # noqa: BLE001 - any failure here only loses this photo
            log.warning("could not read the photo in message %s (%s); it is left out", msg.message_id,
                        f"{type(error).__name__}: {error}")
            target.unlink(missing_ok=True)
            return None

    async def _private(self, talker) -> None:
        """A private chat gets one polite line an hour: the bot works in the building groups."""
        if not talker.is_personal():
            return  # official accounts and the like
        now = time.monotonic()
        last = self._hinted.get(talker.contact_id)
        if last is not None and now - last < PRIVATE_HINT_EVERY:
            return
        if len(self._hinted) > 1000:
            self._hinted = {k: t for k, t in self._hinted.items() if now - t < PRIVATE_HINT_EVERY}
        self._hinted[talker.contact_id] = now
        await talker.say(PRIVATE_HINT)

    async def _on_room_join(self, room, invitees, inviter, date=None) -> None:
        try:
            if not any(contact.contact_id == self._learn_bot_id() for contact in invitees):
                return  # residents joining: nothing to do
            topic = await room.topic() or ""
            log.info("added to the group %s (%s) by %s", topic, room.room_id, getattr(inviter, "name", "?"))
            await self.core.on_room_join(room.room_id, topic)
        except Exception:
            log.exception("joining the group %s went wrong", room.room_id)

    async def _on_room_leave(self, room, leavers, remover=None, date=None) -> None:
        try:
            if any(contact.contact_id == self._learn_bot_id() for contact in leavers):
                log.info("removed from the group %s", room.room_id)
                await self.core.on_room_leave(room.room_id)
        except Exception:
            log.exception("leaving the group %s went wrong", room.room_id)

    async def _on_room_topic(self, room, new_topic: str, old_topic: str, changer=None, date=None) -> None:
        try:
            if room.payload is not None:
                room.payload.topic = new_topic  # python-wechaty keeps serving the old, cached topic
            await self.core.on_room_topic(room.room_id, new_topic)
        except Exception:
            log.exception("renaming the group %s went wrong", room.room_id)

    # Sending ----------------------------------------------------------------------------

    async def say(self, reply: Reply) -> None:
        """The picture first (if any), then the text, which @-mentions people for real.

        This is what ``Room.say()`` does, without its last step: fetching back the message just
        sent.  That costs a round trip, and when the connection drops in between, a reply that
        went out looks failed, and the outbox sends it a second time.
        """
        puppet = self._bot._puppet
        if puppet is None:
            raise NotConnected("not connected to the puppet service just now")
        if reply.image is not None:
            await puppet.message_send_file(conversation_id=reply.room_id,
                                           file=self._FileBox.from_file(str(reply.image)))
        if reply.text:
            names = []
            for contact_id in reply.mention:
                contact = self._bot.Contact.load(contact_id)
                await contact.ready()
                names.append("@" + contact.name)
            # As Room.say() writes a mention: "@name", U+2005 between two of them, a space before the text.
            text = "\u2005".join(names) + " " + reply.text if names else reply.text
            await puppet.message_send_text(conversation_id=reply.room_id, message=text,
                                           mention_ids=list(reply.mention) or None)

    async def _shown_name(self, room, contact) -> str:
        """What the group shows for a member: their group nickname if they set one, else their name.

        Nicknames are asked of the gateway (a round trip) at most every NICKNAME_TTL seconds per
        member and group: nothing announces a change, and a new one may show a few minutes late.
        """
        key, now = (room.room_id, contact.contact_id), time.monotonic()
        known = self._nicknames.get(key)
        if known is None or now - known[0] > NICKNAME_TTL:
            known = self._nicknames[key] = (now, await room.alias(contact) or "")
        return known[1] or contact.name


def _sent_at(msg) -> datetime:
    stamp = msg.payload.timestamp if msg.payload is not None else 0
    if not stamp:
        return datetime.now(timezone.utc)
    if stamp > 2145888000:  # in milliseconds (python-wechaty's own rule)
        stamp /= 1000
    return datetime.fromtimestamp(stamp, timezone.utc)
