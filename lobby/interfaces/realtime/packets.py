"""Socket.io packets as Venterom sends and reads them: JSON only, encoded with orjson.

Reading, a packet that is no well-formed event is not handed on as it came: upstream would
index into whatever it decoded, or drop it with a logged traceback and no answer. It is
rewritten into an event with one of the reserved names below, which the namespaces answer
with an error (same packet id, so the client gets its acknowledgement).
"""

from __future__ import annotations

from typing import Any

import orjson
from socketio import packet

UNDECODABLE = " undecodable"
"""Stands for an event whose JSON could not be read (NaN, a lone surrogate, deep nesting)."""

NOT_AN_EVENT = " not an event"
"""Stands for an event with no name, a name that is no string, or one only socket.io may
send (`connect`, `disconnect`): a client who sends those must not run their handlers."""

RESERVED_NAMES = frozenset({"connect", "disconnect", "connect_error"})
EVENT_TYPES = frozenset({packet.EVENT, packet.BINARY_EVENT})
UNBINARY = {packet.BINARY_EVENT: packet.EVENT, packet.BINARY_ACK: packet.ACK}


class CompactJson:
    """orjson behind the standard library's `dumps` and `loads`, as socket.io packets call
    them: about ten times faster on a lobby (json encoding was a tenth of the server's CPU
    during admissions). Output is compact, UTF-8 rather than `\\u` escapes."""

    @staticmethod
    def dumps(value: Any, **_: Any) -> str:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        return orjson.loads(text)


class TextPacket(packet.Packet):  # type: ignore[misc]
    """A socket.io packet that is never binary, encoded with orjson. Venterom sends only JSON;
    upstream walks every list and dict of every outgoing payload looking for bytes (6 % of the
    server's CPU during admissions). Bytes handed to it fail loudly instead of being sent."""

    uses_binary_events = False
    json = CompactJson

    def decode(self, encoded_packet: str | bytes) -> int:
        if isinstance(encoded_packet, bytes):  # an attachment nobody announced: ignored
            self.packet_type, self.namespace, self.id, self.data = packet.ACK, None, None, []
            return 0
        try:
            attachments: int = super().decode(encoded_packet)
        except orjson.JSONDecodeError:
            if self.packet_type not in EVENT_TYPES:
                raise
            self.data = [UNDECODABLE]
            attachments = _announced_attachments(encoded_packet)
        if self.packet_type in EVENT_TYPES and not _named_event(self.data):
            self.data = [NOT_AN_EVENT]
        if not attachments:  # "binary" with nothing attached: upstream would wait forever
            self.packet_type = UNBINARY.get(self.packet_type, self.packet_type)
        return attachments

    @classmethod
    def reconstruct_binary(cls, data: Any, attachments: list[bytes]) -> Any:
        """Binary events are refused (docs/protocol.md), so the attachments are not put back
        where the placeholders stand: the event keeps its name and carries bytes, which the
        namespace refuses. Upstream's rebuilding fails on a placeholder naming an attachment
        that never came, and then takes every later message for an attachment."""
        name = data[0] if _named_event(data) else NOT_AN_EVENT
        return [name, b""]


def _named_event(data: object) -> bool:
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], str)
        and data[0] not in RESERVED_NAMES
    )


def _announced_attachments(encoded_packet: str) -> int:
    """The attachment count in a packet's header ("51-/guest,..."), read as upstream does."""
    header, dash, _ = encoded_packet[1:].partition("-")
    return int(header) if dash and header.isdigit() and len(header) < 10 else 0
