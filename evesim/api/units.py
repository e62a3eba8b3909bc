"""Human units in scenarios and on the command line: durations ("90s", "15m", "2h30m", "1d", "250ms"), bandwidths,
sizes."""

from __future__ import annotations

import math
import re

_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)"
_DURATION = re.compile(rf"^{_NUMBER}\s*(ms|s|m|min|h|d|w)?$")
_PART = re.compile(rf"{_NUMBER}\s*(ms|min|s|m|h|d|w)\s*")
_COMPOUND = re.compile(rf"^(?:{_PART.pattern})+$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0, None: 1.0}
_BANDWIDTH = re.compile(rf"^{_NUMBER}\s*([kMG]?)(bps|bit/s)?$")
_SIZE = re.compile(rf"^{_NUMBER}\s*(B|kB|KB|MB|GB|KiB|MiB|GiB)?$")
_PREFIX = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9}
_BYTES = {None: 1, "B": 1, "kB": 1000, "KB": 1000, "MB": 10**6, "GB": 10**9,
          "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


def _finite(value: float | int, what: str) -> float:
    """``value`` as a float if it is finite: inf, NaN and numbers too large for a float are refused."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"a {what} must be a finite number, got {number}")
    return number


def _number(value: object, what: str) -> float | None:
    """A plain number as a float (None for a string with units)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a {what}, got a boolean")
    if isinstance(value, (int, float)):
        number = _finite(value, what)
        if number < 0:
            raise ValueError(f"a {what} cannot be negative")
        return number
    if not isinstance(value, str):
        raise ValueError(f"expected a {what}, got {type(value).__name__}")
    return None


def duration(value: object) -> float:
    """Seconds from a number or a string like ``"90s"``, ``"15m"``, ``"2h"``, ``"1d"``, or a sum such as ``"2h30m"``
    or ``"1d 6h"``."""
    number = _number(value, "duration")
    if number is not None:
        return number
    text = str(value).strip()
    match = _DURATION.match(text)
    if match:
        return _finite(float(match.group(1)) * _SECONDS[match.group(2)], "duration")
    if _COMPOUND.match(text):
        return _finite(sum(float(number) * _SECONDS[unit] for number, unit in _PART.findall(text)), "duration")
    raise ValueError(f"expected a duration like 90s, 15m, 2h30m or 1d, got {value!r}")


def bandwidth(value: object) -> float:
    """Bits per second from a number or a string like ``"50Mbps"``, ``"1Gbps"``."""
    number = _number(value, "bandwidth")
    if number is not None:
        if number == 0:
            raise ValueError("a bandwidth must be positive")
        return number
    match = _BANDWIDTH.match(str(value).strip())
    if not match or float(match.group(1)) == 0:
        raise ValueError(f"expected a positive bandwidth like 50Mbps or 1Gbps, got {value!r}")
    return _finite(float(match.group(1)) * _PREFIX[match.group(2)], "bandwidth")


def size(value: object) -> int:
    """Bytes from a number or a string like ``"300MB"``, ``"1GiB"``."""
    number = _number(value, "size")
    if number is not None:
        return int(number)
    match = _SIZE.match(str(value).strip())
    if not match:
        raise ValueError(f"expected a size like 300MB or 1GiB, got {value!r}")
    return int(_finite(float(match.group(1)) * _BYTES[match.group(2)], "size"))
