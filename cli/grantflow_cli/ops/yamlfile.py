"""YAML read safely, with the line and column of every key and value kept beside the data, so a
later check (ours or the service's) can point at the place in the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from grantflow_cli.ops.errors import InputError, Position

Path = tuple[str | int, ...]


@dataclass
class Located:
    """The document's data and where each part of it starts (value and, for mapping entries, key)."""

    data: Any
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    def at(self, path: Path) -> Position | None:
        """Where a value is, or failing that the nearest enclosing value that is in the file."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return None


def load_yaml(text: str, source: str) -> Located:
    """One YAML document (safe tags only); InputError with the position for anything malformed."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError(source, "is empty", Position(1, 1))
        located = Located(data=None)
        _walk(node, (), located, source)
        located.data = loader.construct_document(node)
        return located
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "is not valid YAML"
        raise InputError(source, problem, _position(mark) if mark else None) from None
    except yaml.YAMLError as exc:
        raise InputError(source, f"is not valid YAML: {exc}") from None
    finally:
        loader.dispose()


# Deeper than any competition file needs; stops an alias that refers to itself.
MAX_DEPTH = 20


def _walk(node: yaml.Node, path: Path, located: Located, source: str) -> None:
    located.values[path] = _position(node.start_mark)
    if len(path) > MAX_DEPTH:
        raise InputError(
            source, f"nests deeper than {MAX_DEPTH} levels", _position(node.start_mark)
        )
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            where = _position(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError(source, "a key must be a plain name", where)
            key = str(key_node.value)
            # PyYAML keeps the last of two equal keys without a word; an operator's typo is lost.
            if key in seen:
                first = seen[key]
                raise InputError(
                    source, f"{key!r} is given twice (first on line {first.line})", where
                )
            seen[key] = where
            located.keys[(*path, key)] = where
            _walk(value_node, (*path, key), located, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), located, source)


def _position(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)
