"""Pieces of a self-contained HTML page: escaped text, tables, figures as inline PNG, the page itself."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #1d232a; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: 0.6em 0; } caption { text-align: left; font-weight: 600; }
th, td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } code, td.code { font-family: ui-monospace, monospace; }
.pass { color: #1a7f37; font-weight: 600; } .fail { color: #cf222e; font-weight: 600; }
.muted { color: #57606a; } .meta td:first-child { color: #57606a; }
figure { display: inline-block; width: 48%; margin: 0.5em 1% 0.5em 0; vertical-align: top; }
figure img { max-width: 100%; }
figcaption { color: #57606a; font-size: 0.9em; } tr.diverge td { background: #fff8c5; }
.row { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; } td { overflow-wrap: anywhere; }
"""


def text(value: object) -> str:
    """``value`` as escaped HTML text."""
    return html.escape(str(value))


def verdict(passed: bool | None) -> str:
    """PASS, FAIL or pending, styled."""
    if passed is None:
        return '<span class="muted">pending</span>'
    return '<span class="pass">PASS</span>' if passed else '<span class="fail">FAIL</span>'


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, caption: str = "", raw: Sequence[int] = (),
          css: str = "", row_css: Sequence[str] | None = None) -> str:
    """A table; numbers right-aligned; cells in columns ``raw`` are HTML already (the rest is escaped)."""
    head = "".join(f"<th>{text(column)}</th>" for column in columns)
    body = []
    for index, row in enumerate(rows):
        cells = "".join(_cell(value, position in raw) for position, value in enumerate(row))
        style = f' class="{row_css[index]}"' if row_css and row_css[index] else ""
        body.append(f"<tr{style}>{cells}</tr>")
    label = f"<caption>{text(caption)}</caption>" if caption else ""
    classes = f' class="{css}"' if css else ""
    return f"<table{classes}>{label}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _cell(value: Any, raw: bool) -> str:
    if raw:
        return f"<td>{value}</td>"
    if isinstance(value, bool) or value is None:
        return f"<td>{text('-' if value is None else value)}</td>"
    if isinstance(value, int | float):
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return f'<td class="n">{shown}</td>'
    return f"<td>{text(value)}</td>"


def row(*parts: str) -> str:
    """Tables or figures side by side (wrapping on a narrow page)."""
    return '<div class="row">' + "".join(parts) + "</div>"


def figure(name: str, caption: str, fig: Figure) -> str:
    """A figure with the plot as an inline PNG (``id="plot-NAME"``), then the matplotlib figure is let go."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure id="plot-{text(name)}"><img alt="{text(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{text(caption)}</figcaption></figure>")


def page(title: str, body: Sequence[str]) -> str:
    """The whole HTML document: no script, no link to anything outside it."""
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{text(title)}</title>'
            f"<style>{STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n")
