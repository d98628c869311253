"""louzu's client of the Wechaty puppet service: python-wechaty's own, with what 1.x gateways need.

python-wechaty 0.10.7 (and its PuppetService, wechaty-puppet-service 0.8.10) was written for 0.x
gateways.  Against a 1.x gateway (the wechaty/wechaty 1.x image, PadLocal 1.x) it loses almost
every photo, cannot use TLS and renames no group while saying it did.  ``PuppetServiceClient``,
which python-wechaty loads in place of its own (see WechatyTransport), mends those three and
leaves everything else to python-wechaty:

- Files.  A 1.x gateway hands over a photo as JSON only up to 20 KB; a bigger one stays in the
  gateway and comes as ``{"type": 7, "uuid": …}``, whose bytes the ``Download`` call streams.  A
  link says ``url`` where 0.x said ``remoteUrl``.  Where ``MessageImage``/``MessageFile`` fail
  (PadLocal hands small photos over in a form the gateway cannot write as JSON), the older
  streaming calls still work.
- TLS: see puppet_channel.
- Topics.  A 1.x gateway reads a new topic only from field 3 of RoomTopicRequest; python-wechaty
  writes only field 2, which a 1.x gateway takes for a question: it answers with the old topic.

Import this after ``bot.transport.wechaty_compat.load_wechaty()`` (python-wechaty's import quirks).
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from typing import AsyncIterator, Optional

import betterproto
from grpclib.const import Cardinality, Status
from grpclib.exceptions import GRPCError
from wechaty_grpc.wechaty import PuppetStub
from wechaty_grpc.wechaty.puppet import (
    MessageFileRequest,
    MessageFileResponse,
    MessageFileStreamRequest,
    MessageFileStreamResponse,
    MessageImageRequest,
    MessageImageResponse,
    MessageImageStreamRequest,
    MessageImageStreamResponse,
    RoomTopicResponse,
)
from wechaty_puppet import FileBox, PuppetOptions
from wechaty_puppet.file_box.type import FileBoxOptionsUrl
from wechaty_puppet_service import PuppetService

from bot.transport.puppet_channel import Tls, auth_metadata, open_channel
from bot.transport.wechaty_gateway import NotConnected

log = logging.getLogger(__name__)

FILE_TIMEOUT = 120.0  # seconds for one photo or file, however it comes
CALL_TIMEOUT = 30.0  # seconds for anything else we ask
BASE64, URL, QR_CODE, UUID = 1, 2, 3, 7  # FileBox JSON "type" (0.x: "boxType")


class UnreadableBox(Exception):
    """A FileBox JSON we cannot turn into bytes."""


class _Enough(Exception):
    """Enough bytes read; leaving a gRPC stream by an exception resets it, so the rest is not sent."""


@dataclass(eq=False, repr=False)
class DownloadRequest(betterproto.Message):
    """wechaty.puppet.DownloadRequest (1.x), which python's wechaty-grpc does not know."""

    id: str = betterproto.string_field(1)


@dataclass(eq=False, repr=False)
class DownloadResponse(betterproto.Message):
    chunk: bytes = betterproto.bytes_field(1)


@dataclass(eq=False, repr=False)
class RoomTopicRename(betterproto.Message):
    """RoomTopicRequest as both generations read a new topic: 0.x in field 2, 1.x in field 3."""

    id: str = betterproto.string_field(1)
    topic_deprecated: Optional[str] = betterproto.message_field(2, wraps=betterproto.TYPE_STRING)
    topic: str = betterproto.string_field(3)

    def __bytes__(self) -> bytes:
        data = super().__bytes__()
        # Field 3 is proto3 `optional`: present even when empty, or a 1.x gateway reads a question.
        return data if self.topic else data + b"\x1a\x00"

    SerializeToString = __bytes__


class PuppetServiceClient(PuppetService):
    """python-wechaty's PuppetService, reading 1.x gateways' files, over TLS, renaming groups for real."""

    def __init__(self, options: PuppetOptions, *, tls: Tls = Tls(), max_file_bytes: int = 10 * 1024 * 1024) -> None:
        super().__init__(options)
        self.tls = tls
        self.max_file_bytes = max_file_bytes  # a file is read up to one byte past this: enough to see it is too big
        self.encrypted = False

    async def connect(self) -> None:
        """Open the channel to the gateway at ``options.end_point`` (see puppet_channel)."""
        token = self.options.token or ""
        self.channel, self.encrypted = await open_channel(self.options.end_point, token, self.tls)
        self._puppet_stub = PuppetStub(self.channel, metadata=auth_metadata(token))

    async def start(self) -> None:
        """Connect, (re)start the gateway's puppet as python-wechaty does, and listen until the stream ends."""
        await self.connect()
        try:
            try:
                await self.puppet_stub.stop()
            finally:
                await self.puppet_stub.start()
        except GRPCError as error:
            if error.status == Status.UNAUTHENTICATED:  # its message would repeat the token
                raise NotConnected("it does not accept the token (WECHATY_PUPPET_SERVICE_TOKEN)") from None
            raise
        await self._listen_for_event()

    # Files --------------------------------------------------------------------------------

    async def message_image(self, message_id: str, image_type=3) -> FileBox:
        return await self._file(message_id, ("/wechaty.Puppet/MessageImage",
                                             MessageImageRequest(id=message_id, type=image_type),
                                             MessageImageResponse),
                                ("/wechaty.Puppet/MessageImageStream",
                                 MessageImageStreamRequest(id=message_id, type=image_type),
                                 MessageImageStreamResponse))

    async def message_file(self, message_id: str) -> FileBox:
        return await self._file(message_id, ("/wechaty.Puppet/MessageFile", MessageFileRequest(id=message_id),
                                             MessageFileResponse),
                                ("/wechaty.Puppet/MessageFileStream", MessageFileStreamRequest(id=message_id),
                                 MessageFileStreamResponse))

    async def _file(self, message_id: str, as_json: tuple, as_stream: tuple) -> FileBox:
        """JSON first (what both generations answer best), the older stream when that fails."""
        try:
            reply = await self._call(*as_json, timeout=FILE_TIMEOUT)
            return await self._from_json(reply.filebox)
        except (GRPCError, UnreadableBox) as error:
            log.debug("message %s: no file as JSON (%s); asking for it as a stream", message_id, error)
            return await self._from_chunks(*as_stream)

    async def _from_json(self, text: str) -> FileBox:
        try:
            box = json.loads(text)
            kind, name = box.get("type", box.get("boxType")), box.get("name") or "file"
            if kind == BASE64:
                return FileBox.from_base64(base64=box["base64"], name=name)
            if kind == URL:
                return FileBox(FileBoxOptionsUrl(name=name, url=box.get("url") or box["remoteUrl"],
                                                 headers=box.get("headers") or None))
            if kind == QR_CODE:
                return FileBox.from_qr_code(box["qrCode"])
            uuid = box["uuid"] if kind == UUID else None
        except (ValueError, AttributeError, KeyError, TypeError) as error:
            raise UnreadableBox(f"{type(error).__name__} in {text[:200]!r}") from None
        if uuid is None:
            raise UnreadableBox(f"a FileBox of type {kind!r}")
        return FileBox.from_buffer(await self._download(uuid), name)

    async def _download(self, uuid: str) -> bytes:
        """A file the gateway keeps (1.x), through the Download call."""
        data = bytearray()
        with contextlib.suppress(_Enough):
            async with self._server_stream("/wechaty.Puppet/Download", DownloadRequest(id=uuid),
                                           DownloadResponse) as replies:
                async for reply in replies:
                    data += reply.chunk
                    if len(data) > self.max_file_bytes:
                        raise _Enough
        return bytes(data[: self.max_file_bytes + 1])

    async def _from_chunks(self, route: str, request, reply_type) -> FileBox:
        """A file as MessageImageStream/MessageFileStream send it: its name first, then its bytes."""
        name, data = "", bytearray()
        with contextlib.suppress(_Enough):
            async with self._server_stream(route, request, reply_type) as replies:
                async for reply in replies:
                    chunk = reply.file_box_chunk
                    name = name or chunk.name
                    data += chunk.data
                    if len(data) > self.max_file_bytes:
                        raise _Enough
        return FileBox.from_buffer(bytes(data[: self.max_file_bytes + 1]), name or "file")

    # Groups -------------------------------------------------------------------------------

    async def room_topic(self, room_id: str, new_topic: str) -> None:
        await self._call("/wechaty.Puppet/RoomTopic",
                         RoomTopicRename(id=room_id, topic_deprecated=new_topic, topic=new_topic), RoomTopicResponse)

    # Calls --------------------------------------------------------------------------------

    async def _call(self, route: str, request, reply_type, *, timeout: float = CALL_TIMEOUT):
        async with self.channel.request(route, Cardinality.UNARY_UNARY, type(request), reply_type,
                                        timeout=timeout, metadata=self.puppet_stub.metadata) as stream:
            await stream.send_message(request, end=True)
            reply = await stream.recv_message()
        if reply is None:
            raise GRPCError(Status.UNKNOWN, f"no answer to {route}")
        return reply

    @contextlib.asynccontextmanager
    async def _server_stream(self, route: str, request, reply_type) -> AsyncIterator:
        async with self.channel.request(route, Cardinality.UNARY_STREAM, type(request), reply_type,
                                        timeout=FILE_TIMEOUT, metadata=self.puppet_stub.metadata) as stream:
            await stream.send_message(request, end=True)
            yield stream
