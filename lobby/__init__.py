"""Venterom lobby: visits, presence, HTTP and realtime."""
