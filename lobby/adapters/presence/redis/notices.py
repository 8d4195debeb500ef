"""The notice last sent to a room's waiting guests."""

from __future__ import annotations

import json

from lobby.adapters.presence.redis.base import RedisBase
from lobby.adapters.presence.redis.codec import (
    _text,
)
from lobby.adapters.presence.redis.keys import (
    notice_key,
)
from lobby.adapters.presence.store import (
    Notice,
)


class RedisNotices(RedisBase):
    """Notices, as `PresenceStore` reads and writes them."""

    async def set_notice(self, room_id: str, notice: Notice) -> None:
        payload = json.dumps(
            {"code": notice.code, "minutes": notice.minutes, "sent_at": notice.sent_at}
        )
        await self.client.set(notice_key(self.prefix, room_id), payload, ex=self.ttls.notice)

    async def get_notice(self, room_id: str) -> Notice | None:
        raw = await self.client.get(notice_key(self.prefix, room_id))
        if raw is None:
            return None
        data = json.loads(_text(raw))
        return Notice(
            code=str(data["code"]), minutes=int(data["minutes"]), sent_at=float(data["sent_at"])
        )
