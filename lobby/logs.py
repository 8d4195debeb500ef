"""Structured JSON logs: event, subsystem and ids; personal data never reaches a record."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


MEDIA_LOGGERS = ("aiortc", "aioice", "av")
"""At debug level these log SDP and ICE candidates: never below WARNING here."""


def quiet_media_loggers() -> None:
    for name in MEDIA_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class MalformedRequests(logging.Filter):
    """aiohttp logs a request it cannot parse as an error, with a traceback that quotes the
    offending bytes: whatever a client put in a header or the request line would reach the
    log, and junk from the internet would page someone. Such a record becomes one line at
    info level: the status and the kind of error, without the client's bytes."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError) and 400 <= error.code < 500:
            record.msg, record.args = "malformed request refused", ()
            record.levelno = min(record.levelno, logging.INFO)  # a bad method stays at debug
            record.levelname = logging.getLevelName(record.levelno)
            record.exc_info, record.exc_text = None, None
            record.status, record.error = error.code, type(error).__name__
        return True


def tame_malformed_requests() -> None:
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequests) for f in server.filters):
        server.addFilter(MalformedRequests())


def configure(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.Formatter.converter = time.gmtime
