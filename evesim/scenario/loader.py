"""Loading scenario YAML into a ``Scenario``, with errors that name the file, line, column and field."""

from __future__ import annotations

import difflib
import hashlib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from evesim.scenario.model import Scenario

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

    @property
    def digest(self) -> str:
        """SHA-256 of the scenario text."""
        return hashlib.sha256(self.text.encode()).hexdigest()


def _plain(node: yaml.Node, marks: dict[Loc, yaml.Mark], loc: Loc) -> Any:
    """Turn a composed YAML node into Python data, remembering where each path starts."""
    marks[loc] = node.start_mark
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            # Keys are taken as written: YAML 1.1 would turn `on:`/`off:`/`yes:` into booleans.
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else yaml.safe_load(yaml.serialize(key_node))
            marks[(*loc, f"<key>{key}")] = key_node.start_mark
            out[key] = _plain(value_node, marks, (*loc, key))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, marks, (*loc, i)) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    return yaml.SafeLoader(yaml.serialize(node)).get_single_data() if node.tag != "tag:yaml.org,2002:str" else node.value


def _yaml_problem(path: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Problem(path, line, column, "", f"not valid YAML: {getattr(exc, 'problem', None) or exc}")


def loads(text: str, path: str = "<string>", overrides: dict[str, Any] | None = None) -> Loaded:
    """Parse and validate scenario text; raise ``ScenarioError`` listing every problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(path, exc)]) from None
    if node is None:
        raise ScenarioError([Problem(path, 1, 1, "", "the file is empty")])
    marks: dict[Loc, yaml.Mark] = {}
    data = _plain(node, marks, ())
    if not isinstance(data, dict):
        raise ScenarioError([Problem(path, 1, 1, "", "a scenario must be a mapping of keys to values")])
    problems: list[Problem] = []
    overridden: dict[Loc, str] = {}
    for key, value in (overrides or {}).items():
        try:
            overridden[_set_path(data, key, value)] = key
        except ValueError as exc:
            problems.append(Problem(path, 0, 0, f"--set {key}", str(exc)))
    if problems:
        raise ScenarioError(problems)
    try:
        return Loaded(Scenario.model_validate(data), path, text)
    except ValidationError as exc:
        raise ScenarioError([_problem(path, err, data, marks, overridden) for err in exc.errors()]) from None


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> Loaded:
    """Read and validate a scenario file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(file), 1, 1, "", f"cannot read the file: {exc}")]) from None
    return loads(text, str(file), overrides)


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> Loc:
    """``--set a.b.0.c=value``: set a nested key (list indices allowed) and return its path; ValueError if it cannot."""
    keys = dotted.split(".")
    node: Any = data
    loc: list[str | int] = []
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
        else:
            node = node.setdefault(index, {}) if isinstance(node, dict) else node[index]
    return tuple(loc)


# ---------------------------------------------------------------- locating errors


def _data_loc(loc: Loc, data: Any) -> Loc:
    """The error location with pydantic's union tags dropped, so it names real keys."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and part == node.get("action"):
            continue
        else:
            out.append(part)
            node = None
    return tuple(out)


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


def _problem(path: str, err: dict[str, Any], data: Any, marks: dict[Loc, yaml.Mark],
             overridden: dict[Loc, str]) -> Problem:
    """A validation error as a Problem at its place in the file, or naming the ``--set`` that put it there."""
    loc = _data_loc(tuple(err["loc"]), data)
    kind = err["type"]
    message = err["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = sorted(_fields_at(loc[:-1], data))
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        message = f"unknown key {loc[-1]!r}" + (f"; did you mean {close[0]!r}?" if close else "")
        if allowed:
            message += f" (expected one of: {', '.join(allowed)})"
    elif kind == "missing":
        message = "required key is missing"
    elif kind != "value_error" and "input" in err and not isinstance(err["input"], (dict, list)):
        message += f" (got {err['input']!r})"
    set_by = [key for where, key in overridden.items() if loc[:len(where)] == where]
    if set_by:
        return Problem(path, 0, 0, _dotted(loc), f"{message} (from --set {set_by[-1]})")
    mark = _mark(marks, loc, key=kind == "extra_forbidden")
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Problem(path, line, column, _dotted(loc), message)


def _fields_at(loc: Loc, data: Any) -> set[str]:
    """Field names the model at ``loc`` accepts (follows lists, optionals and the action union)."""
    annotation: Any = Scenario
    node = data
    for part in loc:
        if isinstance(part, str):
            model = _model_for(annotation, node)
            if model is None or part not in model.model_fields:
                return set()
            annotation = model.model_fields[part].annotation
        else:
            annotation = _element(annotation)
        node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
    model = _model_for(annotation, node)
    return set(model.model_fields) if model is not None else set()


def _has(node: dict | list, part: str | int) -> bool:
    return part in node if isinstance(node, dict) else isinstance(part, int) and part < len(node)


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


def _model_for(annotation: Any, node: Any) -> type[BaseModel] | None:
    """The model among ``annotation``'s alternatives that describes ``node`` (by ``action``)."""
    models = [alt for alt in _unwrap(annotation) if isinstance(alt, type) and issubclass(alt, BaseModel)]
    for model in models:
        action = model.model_fields.get("action")
        if action is None or not isinstance(node, dict) or node.get("action") in typing.get_args(action.annotation):
            return model
    return None
