"""Guests' heartbeats, instances' counts and markers, in one process."""

from __future__ import annotations

from lobby.adapters.presence.memory.state import MemoryState


class MemoryLiveness(MemoryState):
    async def heartbeat(self, visit_ids: list[str], now: float) -> None:
        for visit_id in visit_ids:
            self._heartbeats[visit_id] = now

    async def stale(self, seen_before: float) -> list[str]:
        return [v for v, seen in self._heartbeats.items() if seen < seen_before]

    async def forget_heartbeat(self, visit_id: str) -> None:
        self._heartbeats.pop(visit_id, None)

    async def kept(self, marker: str, ttl: int) -> bool:
        existed = self._markers.get(marker) is not None
        self._markers.put(marker, True, ttl)
        return existed

    async def put_instance(self, instance_id: str, stats: dict[str, object], ttl: int) -> None:
        self._instances.put(instance_id, {**stats, "instance_id": instance_id}, ttl)

    async def instances(self) -> list[dict[str, object]]:
        return sorted(self._instances.live_values(), key=lambda s: str(s["instance_id"]))
