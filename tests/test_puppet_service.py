"""louzu's puppet-service client against a gateway played in Python (grpclib), call by call.

Against the real Node.js gateway it is tested end to end (tests/e2e/test_gateway.py); here are
the details a test there cannot see: which fields go on the wire, a download stopped at the
size limit, both generations' FileBox JSON, and what reaches the logs.
"""

from __future__ import annotations

import base64
import json
import logging

import betterproto
import pytest
from grpclib.const import Cardinality, Handler, Status
from grpclib.exceptions import GRPCError
from grpclib.server import Server

CHUNK = 64 * 1024
TOKEN = "insecure_0123-secret"


@pytest.fixture
def client_module(tmp_path, monkeypatch):
    """bot.transport.puppet_service, imported the way the transport does (python-wechaty's quirks first)."""
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "wechaty-cache"))
    from bot.transport.wechaty_compat import load_wechaty

    load_wechaty()
    from bot.transport import puppet_service

    return puppet_service


class Raw:
    """A request kept as the bytes that came on the wire."""

    def __init__(self, data: bytes = b"") -> None:
        self.data = data

    @classmethod
    def FromString(cls, data: bytes) -> "Raw":
        return cls(data)


class FakeGateway:
    """The calls of a Wechaty puppet service the client's files and topics need, with what each was asked."""

    def __init__(self, module) -> None:
        from wechaty_grpc.wechaty import puppet

        self.m, self.pb = module, puppet
        self.image_json: dict[str, str] = {}  # message id: MessageImage's answer (absent: an error, as 1.x's)
        self.streamed: dict[str, tuple[str, bytes]] = {}  # message id: (name, bytes) for MessageImageStream
        self.kept: dict[str, bytes] = {}  # uuid: bytes, for Download
        self.calls: list[str] = []
        self.sent_bytes = 0  # of all downloads
        self.topics: list[bytes] = []
        self.token = TOKEN  # the one it accepts

    def __mapping__(self):
        pb, m = self.pb, self.m
        return {
            "/wechaty.Puppet/MessageImage": Handler(self.message_image, Cardinality.UNARY_UNARY,
                                                    pb.MessageImageRequest, pb.MessageImageResponse),
            "/wechaty.Puppet/MessageImageStream": Handler(self.message_image_stream, Cardinality.UNARY_STREAM,
                                                          pb.MessageImageStreamRequest,
                                                          pb.MessageImageStreamResponse),
            "/wechaty.Puppet/Download": Handler(self.download, Cardinality.UNARY_STREAM, m.DownloadRequest,
                                                m.DownloadResponse),
            "/wechaty.Puppet/RoomTopic": Handler(self.room_topic, Cardinality.UNARY_UNARY, Raw,
                                                 pb.RoomTopicResponse),
            "/wechaty.Puppet/Version": Handler(self.version, Cardinality.UNARY_UNARY, pb.VersionRequest,
                                               pb.VersionResponse),
            "/wechaty.Puppet/Stop": Handler(self.stop, Cardinality.UNARY_UNARY, pb.StopRequest, pb.StopResponse),
            "/wechaty.Puppet/Start": Handler(self.stop, Cardinality.UNARY_UNARY, pb.StartRequest, pb.StartResponse),
        }

    async def message_image(self, stream) -> None:
        request = await stream.recv_message()
        self.calls.append("MessageImage")
        if request.id not in self.image_json:
            raise GRPCError(Status.UNKNOWN, "FileBox.toJSON() can only work on limited FileBoxType(s)")
        await stream.send_message(self.pb.MessageImageResponse(filebox=self.image_json[request.id]))

    async def message_image_stream(self, stream) -> None:
        request = await stream.recv_message()
        self.calls.append("MessageImageStream")
        name, data = self.streamed[request.id]
        chunk = self.pb.FileBoxChunk
        await stream.send_message(self.pb.MessageImageStreamResponse(file_box_chunk=chunk(name=name)))
        for start in range(0, len(data), CHUNK):
            await stream.send_message(self.pb.MessageImageStreamResponse(
                file_box_chunk=chunk(data=data[start:start + CHUNK])))

    async def download(self, stream) -> None:
        request = await stream.recv_message()
        self.calls.append("Download")
        data = self.kept[request.id]
        for start in range(0, len(data), CHUNK):
            await stream.send_message(self.m.DownloadResponse(chunk=data[start:start + CHUNK]))
            self.sent_bytes += len(data[start:start + CHUNK])

    async def room_topic(self, stream) -> None:
        request = await stream.recv_message()
        self.topics.append(request.data)
        await stream.send_message(self.pb.RoomTopicResponse())

    async def stop(self, stream) -> None:  # and start: both only check the token here
        await stream.recv_message()
        given = stream.metadata.get("authorization", "")
        if given != f"Wechaty {self.token}":
            # What a 1.x gateway answers, the token quoted.
            raise GRPCError(Status.UNAUTHENTICATED, f'Invalid Wechaty TOKEN "{given.removeprefix("Wechaty ")}"')
        await stream.send_message(self.pb.StopResponse())

    async def version(self, stream) -> None:
        await stream.recv_message()
        self.calls.append("Version")
        await stream.send_message(self.pb.VersionResponse(version="fake"))


@pytest.fixture
async def gateway(client_module):
    fake = FakeGateway(client_module)
    server = Server([fake])
    await server.start("127.0.0.1", 0)
    fake.endpoint = "127.0.0.1:%d" % server._server.sockets[0].getsockname()[1]
    try:
        yield fake
    finally:
        server.close()
        await server.wait_closed()


def make_client(module, gateway, mode: str = "off", max_file_bytes: int = 10 * 1024 * 1024):
    from wechaty_puppet.schemas.puppet import PuppetOptions

    from bot.transport.puppet_channel import Tls

    options = PuppetOptions(token=TOKEN, end_point=gateway.endpoint)
    return module.PuppetServiceClient(options, tls=Tls(mode), max_file_bytes=max_file_bytes)


@pytest.fixture
async def client(client_module, gateway):
    client = make_client(client_module, gateway)  # the fake gateway speaks plain gRPC
    await client.connect()
    yield client
    client.channel.close()


def ours(caplog) -> str:
    """What louzu itself logged (python-wechaty's own loggers are routed and blotted by the transport)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))


def box_json(**fields) -> str:
    return json.dumps({"md5": "", "metadata": {}, **fields})


def pixels(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + bytes(size % 256)


# Files -----------------------------------------------------------------------------------------

async def test_a_photo_the_gateway_keeps_arrives_through_download(client, gateway):
    photo = pixels(60 * 1024 + 7)
    gateway.kept["u-60k"] = photo
    gateway.image_json["m1"] = box_json(type=7, boxType=7, uuid="u-60k", name="IMG_1.jpg", size=len(photo))
    box = await client.message_image("m1")
    assert (box.type().name, box.name, box.buffer) == ("Buffer", "IMG_1.jpg", photo)
    assert gateway.calls == ["MessageImage", "Download"]


async def test_a_download_stops_one_byte_past_the_size_limit(client_module, gateway):
    client = make_client(client_module, gateway, max_file_bytes=1024 * 1024)
    await client.connect()
    gateway.kept["u-big"] = pixels(40 * 1024 * 1024)
    gateway.image_json["m1"] = box_json(type=7, uuid="u-big", name="big.jpg", size=40 * 1024 * 1024)
    box = await client.message_image("m1")
    client.channel.close()
    assert box.buffer == pixels(40 * 1024 * 1024)[: 1024 * 1024 + 1]  # enough to say it is too big
    assert gateway.sent_bytes < 20 * 1024 * 1024  # the gateway was stopped, not read to the end


async def test_inline_photos_and_links_of_both_generations(client, gateway):
    photo = pixels(5 * 1024)
    gateway.image_json["b64"] = box_json(type=1, boxType=1, base64=base64.b64encode(photo).decode(), name="a.png")
    gateway.image_json["url-1x"] = box_json(type=2, boxType=2, url="http://127.0.0.1:1/a.jpg", name="a.jpg",
                                            headers={"Cookie": "c=1"})
    gateway.image_json["url-0x"] = box_json(boxType=2, remoteUrl="http://127.0.0.1:1/b.jpg", name="b.jpg")
    box = await client.message_image("b64")
    assert (box.type().name, base64.b64decode(box.base64)) == ("Base64", photo)
    box = await client.message_image("url-1x")
    assert (box.type().name, box.remoteUrl, box.name, box.headers) == (
        "Url", "http://127.0.0.1:1/a.jpg", "a.jpg", {"Cookie": "c=1"})
    box = await client.message_image("url-0x")
    assert (box.type().name, box.remoteUrl) == ("Url", "http://127.0.0.1:1/b.jpg")
    assert "MessageImageStream" not in gateway.calls


async def test_regression_a_small_padlocal_photo_the_gateway_cannot_write_as_json_comes_as_a_stream(client, gateway):
    # PadLocal 1.x hands small photos over as Buffer FileBoxes; the gateway's MessageImage then fails.
    photo = pixels(5 * 1024 + 3)
    gateway.streamed["m5k"] = ("IMG_5.jpg", photo)
    box = await client.message_image("m5k")
    assert (box.name, box.buffer) == ("IMG_5.jpg", photo)
    assert gateway.calls == ["MessageImage", "MessageImageStream"]


async def test_a_file_box_json_of_a_kind_we_do_not_read_is_fetched_as_a_stream(client, gateway):
    gateway.image_json["m1"] = box_json(type=4, boxType=4, name="x.jpg")  # Buffer: never valid JSON
    gateway.streamed["m1"] = ("x.jpg", b"\xff\xd8 jpeg")
    assert (await client.message_image("m1")).buffer == b"\xff\xd8 jpeg"


# Topics --------------------------------------------------------------------------------------

async def test_regression_a_new_topic_goes_in_both_fields_so_that_1x_gateways_rename_too(client, gateway):
    from wechaty_grpc.wechaty.puppet import RoomTopicRequest  # python's wechaty-grpc: field 2, as 0.x reads it

    @betterproto.dataclasses.dataclass(eq=False, repr=False)
    class RoomTopicRequest1x(betterproto.Message):  # what a 1.x gateway reads: field 3
        id: str = betterproto.string_field(1)
        topic: str = betterproto.string_field(3)

    await client.room_topic("r1@chatroom", "1号楼（东门）")
    await client.room_topic("r1@chatroom", "")
    new, empty = gateway.topics
    assert RoomTopicRequest().parse(new).topic == "1号楼（东门）"
    assert (RoomTopicRequest1x().parse(new).id, RoomTopicRequest1x().parse(new).topic) == (
        "r1@chatroom", "1号楼（东门）")
    # proto3 `optional`: an empty new topic is still there (1.x's hasTopic()), not read as a question.
    assert RoomTopicRequest().parse(empty).topic == "" and empty.endswith(b"\x1a\x00")


# The link --------------------------------------------------------------------------------------

async def test_auto_connects_to_a_plain_gateway_with_a_warning(client_module, gateway, caplog):
    client = make_client(client_module, gateway, "auto")
    await client.connect()
    client.channel.close()
    assert client.encrypted is False
    assert f"the puppet service at {gateway.endpoint} speaks only plain gRPC" in ours(caplog)
    assert TOKEN not in ours(caplog)


async def test_on_refuses_a_plain_gateway_before_sending_it_anything(client_module, gateway):
    from bot.transport.puppet_channel import PlainRefused

    client = make_client(client_module, gateway, "on")
    with pytest.raises(PlainRefused, match="does not speak TLS .*WECHATY_PUPPET_SERVICE_TLS=on refuses a plain link"):
        await client.connect()
    assert gateway.calls == []  # not a call, so not the token, went in clear


async def test_off_sends_plain_without_trying_tls(client_module, gateway, caplog):
    caplog.set_level(logging.WARNING)
    client = make_client(client_module, gateway, "off")
    await client.connect()
    gateway.image_json["m1"] = box_json(type=1, base64=base64.b64encode(b"x").decode(), name="a.png")
    assert (await client.message_image("m1")).base64 == base64.b64encode(b"x")
    client.channel.close()
    assert ours(caplog) == ""  # plain was asked for: no warning


async def test_a_token_the_gateway_refuses_is_said_without_repeating_it(client_module, gateway):
    from bot.transport.wechaty_gateway import NotConnected

    gateway.token = "insecure_another"
    client = make_client(client_module, gateway)
    with pytest.raises(NotConnected) as refused:
        await client.start()
    client.channel.close()
    assert str(refused.value) == "it does not accept the token (WECHATY_PUPPET_SERVICE_TOKEN)"
    assert refused.value.__suppress_context__  # a traceback would not show the gateway's words either


def test_the_certificate_name_comes_from_the_token_as_the_nodejs_client_has_it():
    from bot.transport.puppet_channel import server_name

    assert server_name("insecure_abc", "10.0.0.5") == "insecure"
    assert server_name("puppet_padlocal_abc", "10.0.0.5") == "puppet_padlocal"
    assert server_name("INSECURE_abc", "10.0.0.5") == "insecure"
    assert server_name("abc", "gateway.example.org") == "gateway.example.org"
    assert server_name("_abc", "10.0.0.5") == "10.0.0.5"
