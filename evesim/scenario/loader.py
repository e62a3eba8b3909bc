"""Loading scenario YAML into a ``Scenario``, with errors that name the file, line, column and field."""

from __future__ import annotations

import difflib
import hashlib
import re
import types
import typing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from evesim.scenario.model import CROSS_CHECK, Scenario

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario (``line`` 0: not at a place in the file, e.g. a ``--set``)."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Loaded:
    """A validated scenario with where it came from."""

    scenario: Scenario
    path: str
    text: str
    timeline_lines: tuple[int, ...] = ()
    """The line each timeline action starts on in the file (0 for one a ``--set`` added)."""

    @property
    def digest(self) -> str:
        """SHA-256 of the scenario text."""
        return hashlib.sha256(self.text.encode()).hexdigest()


class _NodeError(Exception):
    """A YAML node that cannot become scenario data, at ``mark``."""

    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark


def _plain(node: yaml.Node, marks: dict[Loc, yaml.Mark], loc: Loc, inside: frozenset[int] = frozenset()) -> Any:
    """Turn a composed YAML node into Python data, remembering where each path starts."""
    marks[loc] = node.start_mark
    if id(node) in inside:
        raise _NodeError(node.start_mark, "an alias refers to a node that contains it")
    if isinstance(node, yaml.MappingNode):
        inside = inside | {id(node)}
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _key(key_node)
            if key in out:
                first = marks[(*loc, f"<key>{key}")]
                raise _NodeError(key_node.start_mark, f"duplicate key {key!r} (first at line {first.line + 1})")
            marks[(*loc, f"<key>{key}")] = key_node.start_mark
            out[key] = _plain(value_node, marks, (*loc, key), inside)
        return out
    if isinstance(node, yaml.SequenceNode):
        inside = inside | {id(node)}
        return [_plain(item, marks, (*loc, i), inside) for i, item in enumerate(node.value)]
    return _scalar(node)


def _key(node: yaml.Node) -> str:
    """A mapping key as written (YAML 1.1 would turn ``on:``/``off:``/``yes:`` into booleans)."""
    if not isinstance(node, yaml.ScalarNode):
        raise _NodeError(node.start_mark, "a key must be plain text, not a list or a mapping")
    return node.value


def _scalar(node: yaml.Node) -> Any:
    """A scalar's value by its tag (an empty value is null); an explicit tag that does not fit is an error."""
    try:
        return yaml.constructor.SafeConstructor().construct_object(node)
    except yaml.YAMLError as exc:
        raise _NodeError(node.start_mark, getattr(exc, "problem", None) or str(exc)) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise _NodeError(node.start_mark, f"{node.value!r} cannot be read as {node.tag}: {exc}") from None


def _yaml_problem(path: str, text: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        line, column = _line_column(text, exc.position)
        return Problem(path, line, column, "", f"not valid YAML: unacceptable character #x{exc.character:04x}: "
                                               f"{exc.reason}")
    mark = getattr(exc, "problem_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Problem(path, line, column, "", f"not valid YAML: {getattr(exc, 'problem', None) or exc}")


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of character ``offset`` in ``text``."""
    start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - start + 1


def _data(text: str, path: str) -> tuple[Any, dict[Loc, yaml.Mark]]:
    """The scenario text as plain data and where each path starts; ``ScenarioError`` if it is not usable YAML."""
    marks: dict[Loc, yaml.Mark] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            raise ScenarioError([Problem(path, 1, 1, "", "the file is empty")])
        return _plain(node, marks, ()), marks
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(path, text, exc)]) from None
    except _NodeError as exc:
        raise ScenarioError([Problem(path, exc.mark.line + 1, exc.mark.column + 1, "", f"not valid YAML: {exc}")]) \
            from None
    except RecursionError:
        raise ScenarioError([Problem(path, 1, 1, "", "not valid YAML: nested too deeply")]) from None


def loads(text: str, path: str = "<string>", overrides: dict[str, Any] | None = None) -> Loaded:
    """Parse and validate scenario text; raise ``ScenarioError`` listing every problem."""
    data, marks = _data(text, path)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(path, 1, 1, "", "a scenario must be a mapping of keys to values")])
    problems: list[Problem] = []
    overridden: dict[Loc, str] = {}
    for key, value in (overrides or {}).items():
        try:
            for loc in _set_path(data, key, value):
                overridden[loc] = key
        except ValueError as exc:
            problems.append(Problem(path, 0, 0, f"--set {key}", str(exc)))
    if problems:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_merged([_problem(path, err, data, marks, overridden) for err in exc.errors()])) \
            from None
    lines = tuple(marks[("timeline", i)].line + 1 if ("timeline", i) in marks else 0
                  for i in range(len(scenario.timeline)))
    return Loaded(scenario, path, text, lines)


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> Loaded:
    """Read and validate a scenario file."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ScenarioError([Problem(str(file), 1, 1, "", f"cannot read the file: {exc}")]) from None
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        line, column = _line_column(raw.decode("latin-1"), exc.start)
        raise ScenarioError([Problem(str(file), line, column, "", f"not UTF-8 text: byte 0x{raw[exc.start]:02x} "
                                                                  f"({exc.reason})")]) from None
    return loads(text, str(file), overrides)


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> list[Loc]:
    """``--set a.b.0.c=value``: set a nested key (list indices allowed); ValueError if it cannot.

    Returns the paths the override made: the key, and each mapping it had to create on the way.
    """
    keys = dotted.split(".")
    node: Any = data
    loc: list[str | int] = []
    made: list[Loc] = []
    for depth, key in enumerate(keys):
        where = ".".join(keys[:depth]) or "the scenario"
        if isinstance(node, list):
            if not (key.isascii() and key.isdigit() and int(key) < len(node)):
                raise ValueError(f"{where} is a list (of {len(node)}): {key!r} is not an index of it")
            index: str | int = int(key)
        elif isinstance(node, dict):
            index = key
        else:
            raise ValueError(f"{where} is a {type(node).__name__}, not a mapping or a list: it has no {key!r}")
        loc.append(index)
        if depth == len(keys) - 1:
            node[index] = value
        elif isinstance(node, dict):
            if index not in node:
                made.append(tuple(loc))
            node = node.setdefault(index, {})
        else:
            node = node[index]
    return [*made, tuple(loc)]


# ---------------------------------------------------------------- locating errors


TAGS = ("action", "metric")
"""The keys that pick a member of the scenario's tagged unions (timeline actions, checks)."""


@dataclass(frozen=True)
class Tag:
    """The union member an error's location passes through: its tag key and value, and where it is."""

    key: str
    value: str
    depth: int

    def __str__(self) -> str:
        return f"{self.key} {self.value!r}"


def _data_loc(loc: Loc, data: Any, tagged: bool = True) -> tuple[Loc, Tag | None]:
    """The error location with pydantic's union tags dropped (if it is ``tagged``), so it names real keys; and
    the last tag dropped."""
    out: list[str | int] = []
    node, tag = data, None
    annotation: Any = Scenario
    for part in loc:
        key = _tag_key(annotation)
        if tagged and key is not None and isinstance(node, dict) and part == node.get(key):
            tag, annotation = Tag(key, str(part), len(out)), _model_for(annotation, node)
        elif isinstance(node, dict) and part in node:
            out.append(part)
            annotation, node = _field_annotation(annotation, node, str(part)), node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            annotation, node = _element(annotation), node[part]
        elif isinstance(part, str) and not isinstance(node, dict) and _is_tag(part):
            continue  # a union member's tag (``int``, ``list[...]``) where the data holds no key
        else:
            out.append(part)
            node = annotation = None
    return tuple(out), tag


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "none", "bytes"})


def _is_tag(part: str) -> bool:
    """True for pydantic's name of a union member (``int``, ``constrained-int``, ``list[int]``, ``Target``)."""
    return part in _TYPE_TAGS or any(c in part for c in "[-") or part[:1].isupper()


def _merged(problems: list[Problem]) -> list[Problem]:
    """One problem per place: the alternatives of a union that all failed at one path become one message,
    and a union member that failed at a path is dropped when another got further inside it."""
    deepest = [p for p in problems if not any(_under(q.path, p.path) for q in problems)]
    places: dict[tuple[int, int, str], list[Problem]] = {}
    for problem in deepest:
        places.setdefault((problem.line, problem.column, problem.path), []).append(problem)
    return [replace(same[0], message=_alternatives(list(dict.fromkeys(p.message for p in same))))
            for same in places.values()]


def _under(inner: str, outer: str) -> bool:
    """True if path ``inner`` lies strictly inside path ``outer``."""
    return bool(outer) and inner.startswith(outer) and inner[len(outer):len(outer) + 1] in (".", "[")


def _alternatives(messages: list[str]) -> str:
    """Messages of a union's failed alternatives as one: "Input should be a, b or c (got x)"."""
    prefix, got = "Input should be ", re.search(r" \(got .*\)$", messages[0])
    suffix = got.group(0) if got and all(m.endswith(got.group(0)) for m in messages) else ""
    tails = [m.removeprefix(prefix).removesuffix(suffix) for m in messages]
    if len(messages) > 1 and all(m.startswith(prefix) for m in messages):
        return prefix + ", ".join(tails[:-1]) + " or " + tails[-1] + suffix
    return "; ".join(messages)


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _mark(marks: dict[Loc, yaml.Mark], loc: Loc, key: bool) -> yaml.Mark | None:
    if key and loc and (*loc[:-1], f"<key>{loc[-1]}") in marks:
        return marks[(*loc[:-1], f"<key>{loc[-1]}")]
    for end in range(len(loc), -1, -1):
        if loc[:end] in marks:
            return marks[loc[:end]]
    return None


def _problem(path: str, err: ErrorDetails, data: Any, marks: dict[Loc, yaml.Mark],
             overridden: dict[Loc, str]) -> Problem:
    """A validation error as a Problem at its place in the file, or naming the ``--set`` that put it there."""
    kind = err["type"]
    loc, tag = _data_loc(tuple(err["loc"]), data, tagged=kind != CROSS_CHECK)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = str(err.get("ctx", {}).get("discriminator", "")).strip("'")
        loc, kind = (*loc, key), "missing" if kind == "union_tag_not_found" else kind
    tag = tag if tag is not None and tag.depth == len(loc) - 1 else None  # the member holding the key
    message = _message(err, kind, loc, tag, data)
    set_by = [key for where, key in overridden.items() if loc[:len(where)] == where]
    if set_by:
        return Problem(path, 0, 0, _dotted(loc), f"{message} (from --set {set_by[-1]})")
    mark = _mark(marks, loc, key=kind == "extra_forbidden")
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Problem(path, line, column, _dotted(loc), message)


def _message(err: ErrorDetails, kind: str, loc: Loc, tag: Tag | None, data: Any) -> str:
    """The words of an error: pydantic's, or clearer ones for unknown, missing and misplaced keys."""
    if kind == "extra_forbidden":
        return _unknown_key(loc, tag, data)
    if kind == "union_tag_invalid":
        tags = _taking(_annotation_at(loc[:-1], data)[0], None)
        return _unknown_tag(str(loc[-1]), err.get("ctx", {}).get("tag"), tags)
    if kind == "missing" or (tag is not None and err.get("input", "") is None and _required(loc, data)):
        if isinstance(loc[-1], int):
            return "an item is missing here (the list is too short)"
        return f"{tag} needs {_a(str(loc[-1]))}" if tag is not None else "required key is missing"
    message = err["msg"].removeprefix("Value error, ")
    if kind not in ("value_error", CROSS_CHECK) and not isinstance(err.get("input"), (dict, list)) and "input" in err:
        message += f" (got {err['input']!r})"
    return message


def _a(key: str) -> str:
    """``key`` quoted, after its article: ``an 'app'``, ``a 'value'``."""
    return f"{'an' if key[:1] in 'aeiou' else 'a'} {key!r}"


def _unknown_key(loc: Loc, tag: Tag | None, data: Any) -> str:
    """Why a key is refused: unknown (with the nearest known key), or one that only other members take."""
    key, allowed = str(loc[-1]), sorted(_fields_at(loc[:-1], data))
    expected = f" (expected one of: {', '.join(allowed)})" if allowed else ""
    if tag is not None:
        others = sorted(_taking(_annotation_at(loc[:-1], data)[0], key) - {tag.value})
        if others:
            only = f"; {key!r} only applies to {tag.key} {' or '.join(repr(o) for o in others)}" \
                if len(others) <= 3 else ""
            return f"{tag} takes no {key!r}{only}" + ("" if only else expected)
    close = difflib.get_close_matches(key, allowed, n=1)
    return f"unknown key {key!r}" + (f"; did you mean {close[0]!r}?" if close else "") + expected


def _unknown_tag(key: str, value: object, tags: set[str]) -> str:
    """The error for a union tag (``action``, ``metric``) no member has."""
    close = difflib.get_close_matches(value, sorted(tags), n=1) if isinstance(value, str) else []
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"no {key} {value!r}{hint} (one of: {', '.join(sorted(tags))})"


def _fields_at(loc: Loc, data: Any) -> set[str]:
    """Field names the model at ``loc`` accepts (following lists, optionals and tagged unions)."""
    annotation, node = _annotation_at(loc, data)
    model = _model_for(annotation, node)
    return set(model.model_fields) if model is not None else set()


def _taking(annotation: Any, key: str | None) -> set[str]:
    """The tag values of the members of the tagged union ``annotation`` that take ``key`` (any key: all)."""
    tag = _tag_key(annotation)
    return {v for m in _models(annotation) if tag and (key is None or key in m.model_fields)
            for v in typing.get_args(m.model_fields[tag].annotation)}


def _required(loc: Loc, data: Any) -> bool:
    """True if the key at ``loc`` is one its model requires."""
    annotation, node = _annotation_at(loc[:-1], data)
    model = _model_for(annotation, node)
    field = model.model_fields.get(str(loc[-1])) if model is not None else None
    return field is not None and field.is_required()


def _annotation_at(loc: Loc, data: Any) -> tuple[Any, Any]:
    """The annotation of the value at ``loc`` (a data location) and the data there."""
    annotation: Any = Scenario
    node = data
    for part in loc:
        if isinstance(part, str):
            annotation = _field_annotation(annotation, node, part)
            node = node.get(part) if isinstance(node, dict) else None
        else:
            annotation = _element(annotation)
            node = node[part] if isinstance(node, list) and part < len(node) else None
    return annotation, node


def _field_annotation(annotation: Any, node: Any, key: str) -> Any:
    """The annotation of field ``key`` of the model ``annotation`` gives ``node`` (None if there is none)."""
    model = _model_for(annotation, node)
    field = model.model_fields.get(key) if model is not None else None
    return field.annotation if field is not None else None


def _unwrap(annotation: Any) -> list[Any]:
    """The alternatives of an annotation with Annotated/Optional/Union removed."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [alt for arg in typing.get_args(annotation) for alt in _unwrap(arg)]
    return [annotation]


def _element(annotation: Any) -> Any:
    """The item type of a list annotation (None if it is not one)."""
    for alt in _unwrap(annotation):
        if typing.get_origin(alt) in (list, tuple):
            return typing.get_args(alt)[0]
    return None


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The models among ``annotation``'s alternatives."""
    return [alt for alt in _unwrap(annotation) if isinstance(alt, type) and issubclass(alt, BaseModel)]


def _tag_key(annotation: Any) -> str | None:
    """The key (one of ``TAGS``) that picks a member of the union ``annotation`` is, if it is a tagged union."""
    models = _models(annotation)
    return next((key for key in TAGS if len(models) > 1 and all(key in m.model_fields for m in models)), None)


def _model_for(annotation: Any, node: Any) -> type[BaseModel] | None:
    """The model among ``annotation``'s alternatives that describes ``node`` (by its tag, in a tagged union)."""
    models, key = _models(annotation), _tag_key(annotation)
    if key is None or not isinstance(node, dict):
        return models[0] if models else None
    return next((m for m in models if node.get(key) in typing.get_args(m.model_fields[key].annotation)), None)
