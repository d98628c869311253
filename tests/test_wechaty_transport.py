"""The Wechaty transport's own decisions, with python-wechaty's objects played by small fakes.

The real protocol is tested end to end in tests/e2e (against the Node.js puppet service);
here are the cases the harness cannot stage: a photo python-wechaty cannot read, a bot whose
WeChat name differs from LOUZU_BOT_NAME, token discovery, and what reaches the logs.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from bot.core.settings import Settings
from bot.transport.wechaty_compat import RedactSecret

TOKEN = "insecure_0123-secret"


@pytest.fixture
def transport(tmp_path, monkeypatch):
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "wechaty-cache"))
    from bot.transport.wechaty import WechatyTransport

    settings = Settings.from_mapping({"LOUZU_DATA_DIR": str(tmp_path / "data"), "LOUZU_REMINDERS_FILE": "off",
                                      "WECHATY_PUPPET_SERVICE_TOKEN": TOKEN,
                                      "WECHATY_PUPPET_SERVICE_ENDPOINT": "127.0.0.1:9"})
    t = WechatyTransport(settings)
    t.bot_id = "bot"
    t.core = Core()
    return t


class Core:
    def __init__(self) -> None:
        self.messages = []
        self.files: dict[str, bytes] = {}

    async def on_message(self, message) -> None:
        self.messages.append(message)
        if message.attachment is not None:
            self.files[message.id] = message.attachment.path.read_bytes()


@dataclass
class FakeContact:
    contact_id: str
    name: str
    personal: bool = True
    said: list = field(default_factory=list)

    def is_personal(self) -> bool:
        return self.personal

    async def say(self, text) -> None:
        self.said.append(text)


@dataclass
class FakeRoom:
    room_id: str = "r1@chatroom"
    nicknames: dict = field(default_factory=dict)
    payload: object = None

    async def topic(self) -> str:
        return "1号楼"

    async def alias(self, contact) -> str:
        return self.nicknames.get(contact.contact_id, "")


class FakeMessage:
    def __init__(self, talker, room, text="", kind="TEXT", mentions=(), file_box=None) -> None:
        from wechaty_puppet import MessageType

        self.message_id = "m1"
        self._talker, self._room, self._text = talker, room, text
        self._type = getattr(MessageType, f"MESSAGE_TYPE_{kind}")
        self._mentions, self._file_box = list(mentions), file_box
        self.payload = SimpleNamespace(timestamp=1764133200000)  # milliseconds

    def talker(self):
        return self._talker

    def room(self):
        return self._room

    def type(self):
        return self._type

    def text(self) -> str:
        return self._text

    async def mention_list(self):
        return self._mentions

    async def to_file_box(self):
        if isinstance(self._file_box, Exception):
            raise self._file_box
        return self._file_box


LI = FakeContact("u-li", "李四")
BOT = FakeContact("bot", "小助手-测试号")


async def test_a_room_message_becomes_a_plain_message_with_shown_names(transport):
    room = FakeRoom(nicknames={"u-li": "3-201 李四", "bot": "居委会小助手"})
    zhang = FakeContact("u-zhang", "张三")
    text = "@居委会小助手\u2005#点赞 @张三\u2005谢谢"
    await transport._on_message(FakeMessage(LI, room, text, mentions=[BOT, zhang]))
    [message] = transport.core.messages
    assert (message.room_id, message.room_topic, message.sender_id, message.sender_name) == (
        "r1@chatroom", "1号楼", "u-li", "3-201 李四")
    # The bot's own tag goes (its WeChat name differs from LOUZU_BOT_NAME); others stay for the parser.
    assert message.mentions_bot and message.text == " \u2005#点赞 @张三\u2005谢谢"
    assert [(m.id, m.name) for m in message.mentions] == [("u-zhang", "张三")]
    assert message.time.isoformat() == "2025-11-26T05:00:00+00:00"


async def test_the_bots_own_messages_and_stickers_are_not_handed_on(transport):
    await transport._on_message(FakeMessage(BOT, FakeRoom(), "#我的积分"))
    await transport._on_message(FakeMessage(LI, FakeRoom(), kind="EMOTICON"))
    assert transport.core.messages == []


async def test_a_photo_is_handed_on_as_a_file_and_removed_afterwards(transport):
    from wechaty_puppet import FileBox

    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100
    box = FileBox.from_base64(base64.b64encode(data), name="IMG_1.PNG")
    await transport._on_message(FakeMessage(LI, FakeRoom(), kind="IMAGE", file_box=box))
    [message] = transport.core.messages
    assert message.text == "" and message.attachment.path.name == "m1.png"
    assert transport.core.files["m1"] == data
    assert not message.attachment.path.exists()


async def test_regression_a_photo_python_wechaty_cannot_read_is_logged_not_fatal(transport, caplog):
    # It used to be every 1.x photo over 20 KB; now one the gateway cannot hand over any way we ask.
    broken = ValueError("unknown file_box json object")
    await transport._on_message(FakeMessage(LI, FakeRoom(), kind="IMAGE", file_box=broken))
    assert transport.core.messages == []
    assert "could not read the photo in message m1 (ValueError: unknown file_box json object)" in caplog.text
    assert not list((transport.settings.media_dir / "incoming").glob("*"))


async def test_a_photo_read_from_the_gateway_is_kept_up_to_one_byte_past_the_limit(transport, tmp_path):
    from wechaty_puppet import FileBox

    from bot.transport.wechaty_media import save_file_box

    data = bytes(range(256)) * 16
    saved = await save_file_box(FileBox.from_buffer(data, name="IMG_2.jpg"), tmp_path / "m2.jpg", 4096)
    assert saved.read_bytes() == data
    saved = await save_file_box(FileBox.from_buffer(data, name="IMG_2.jpg"), tmp_path / "m3.jpg", 1000)
    assert saved.read_bytes() == data[:1001]  # enough for the report to say it is too large


async def test_a_private_chat_gets_one_hint_an_hour_and_official_accounts_none(transport):
    wang = FakeContact("u-wang", "王五")
    news = FakeContact("gh_news", "某某公众号", personal=False)
    for _ in range(3):
        await transport._on_message(FakeMessage(wang, None, "你好"))
        await transport._on_message(FakeMessage(news, None, "今日新闻"))
    assert wang.said == ["请在所在楼组的群里@我或发 #帮助 使用，私聊暂不办理。"] and news.said == []
    assert transport.core.messages == []


def test_token_discovery_reads_old_and_new_answers_and_never_repeats_the_token(monkeypatch):
    import requests

    from bot.transport import wechaty_gateway as gateway

    answers = iter([{"host": "1.2.3.4", "port": 8788}, {"ip": "5.6.7.8", "port": 80}, {"ip": "0.0.0.0", "port": 1}])

    def get(url, timeout):
        assert url == f"https://api.chatie.io/v0/hosties/{TOKEN}"
        return SimpleNamespace(raise_for_status=lambda: None, json=lambda: next(answers))

    monkeypatch.setattr(requests, "get", get)
    assert gateway._discover(TOKEN) == "1.2.3.4:8788"
    assert gateway._discover(TOKEN) == "5.6.7.8:80"
    with pytest.raises(gateway.NotConnected, match="knows no gateway"):
        gateway._discover(TOKEN)

    def down(url, timeout):
        raise requests.ConnectionError(f"Max retries exceeded with url: {url}")

    monkeypatch.setattr(requests, "get", down)
    with pytest.raises(gateway.NotConnected) as error:
        gateway._discover(TOKEN)
    assert TOKEN not in str(error.value)


def test_python_wechaty_logs_go_through_ours_without_the_token(transport, caplog):
    caplog.set_level(logging.WARNING)
    logging.getLogger("PuppetService").warning("token <%s> rejected", TOKEN)
    logging.getLogger("PuppetService").warning("there are two tokens from options<%s> and environment", TOKEN)
    assert "token <***> rejected" in caplog.text
    assert TOKEN not in caplog.text and "two tokens" not in caplog.text


def test_redact_secret_masks_arguments_too():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "url %s", ("https://h/v0/hosties/abc",), None)
    assert RedactSecret("abc").filter(record) and record.getMessage() == "url https://h/v0/hosties/***"


async def test_the_account_removed_from_a_group_is_told_to_the_bot_and_a_resident_leaving_is_not(transport):
    left = []

    async def on_room_leave(room_id: str) -> None:
        left.append(room_id)

    transport.core.on_room_leave = on_room_leave
    await transport._on_room_leave(FakeRoom(), [LI])
    assert left == []
    await transport._on_room_leave(FakeRoom(), [BOT], LI)
    assert left == ["r1@chatroom"]
