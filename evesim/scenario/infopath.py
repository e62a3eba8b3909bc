"""Matching a device's latest info the way Eden's ``lim`` helper does: a path into its protojson.

Paths use the JSON field names of ``ZInfoDevice`` (as Adam stores info), dots between fields and
``[i]`` or ``[*]`` (any element) for lists, e.g. ``swList[0].shortVersion`` or
``swList[*].userStatus``.
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import json_format

from evesim.api import pb

_STEP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+|\*)\])?$")


class PathError(ValueError):
    """A path that is not made of ``field``, ``field[i]`` and ``field[*]`` steps."""


def parse(path: str) -> list[tuple[str, str | None]]:
    """The steps of a path: (field, index or '*' or None)."""
    steps = []
    for part in path.split("."):
        match = _STEP.match(part)
        if not match:
            raise PathError(f"bad step {part!r} in info path {path!r}: want field, field[0] or field[*]")
        steps.append((match.group(1), match.group(2)))
    return steps


def values(info: pb.info.ZInfoDevice, path: str) -> list[str]:
    """Every value the path reaches in ``info`` (as strings; enums by name)."""
    nodes: list[Any] = [json_format.MessageToDict(info)]
    for field, index in parse(path):
        reached: list[Any] = []
        for node in nodes:
            if not isinstance(node, dict) or field not in node:
                continue
            value = node[field]
            if index is None:
                reached.append(value)
            elif isinstance(value, list):
                reached.extend(value if index == "*" else value[int(index) : int(index) + 1])
        nodes = reached
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in nodes if not isinstance(v, (dict, list))]


def matches(info: pb.info.ZInfoDevice | None, path: str, value: str | None, pattern: str | None) -> bool:
    """True if some value at ``path`` equals ``value`` or fully matches the regex ``pattern``."""
    if info is None:
        return False
    found = values(info, path)
    if pattern is not None:
        regex = re.compile(pattern)
        return any(regex.fullmatch(v) for v in found)
    return value in found
