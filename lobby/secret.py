"""The server secret that signs invitations: from settings, or made once and kept on disk."""

from __future__ import annotations

import os
from pathlib import Path

from lobby.domain.passwords import new_secret
from lobby.settings import Settings


def server_secret(settings: Settings) -> str:
    if settings.secret:
        return settings.secret
    path = Path(settings.data_dir) / "secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = new_secret()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
