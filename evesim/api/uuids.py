"""UUIDs as EVE's Go code reads them (``github.com/satori/go.uuid`` ``FromString``)."""

from __future__ import annotations

import re
import uuid as uuidlib

_PLAIN = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def go_uuid(text: str) -> str | None:
    """``text`` in lowercase canonical form if Go reads it as a UUID (plain, with or without hyphens, in braces,
    after ``urn:uuid:``), else None."""
    body = text
    if len(text) in (34, 38) and text.startswith("{") and text.endswith("}"):
        body = text[1:-1]
    elif len(text) in (41, 45) and text.startswith("urn:uuid:"):
        body = text[9:]
    return str(uuidlib.UUID(body)) if _PLAIN.fullmatch(body) else None
