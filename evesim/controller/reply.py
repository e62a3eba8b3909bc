"""What the service core answers: a status, a body and its content type."""

from __future__ import annotations

from dataclasses import dataclass

PROTO = "application/x-proto-binary"


def is_proto(content_type: str | None) -> bool:
    """True if a Content-Type header value names ``PROTO`` (case-insensitive, parameters ignored)."""
    return content_type is not None and content_type.split(";", 1)[0].strip().lower() == PROTO


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP answer of the device API."""

    status: int
    body: bytes = b""
    content_type: str = ""


class Refusal(Exception):
    """A request the controller turns down with a 4xx ``status``; nothing stored changes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reply = Reply(status, message.encode(), "text/plain")


OK = Reply(200)
CREATED = Reply(201)
NOT_MODIFIED = Reply(304)
