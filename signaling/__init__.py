"""Venterom signaling: WebRTC relay, ICE/TURN configuration and the echo test peer."""
