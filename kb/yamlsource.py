"""Reading YAML while remembering where each value came from, so problems can name a line."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.errors import Problem

# libyaml's parser when PyYAML was built with it: several times faster on a big knowledge base.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _MarkingLoader(_Base):  # type: ignore[misc]
    """A safe loader that notes the line of every mapping key and list item, and repeated keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: dict[int, tuple[object, dict[Any, int]]] = {}
        self.repeated: list[tuple[int, str]] = []

    def mapping(self, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
        data: dict[Any, Any] = {}
        yield data
        data.update(self.construct_mapping(node))
        lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            # a plain scalar key is its own text (what construct_mapping made of it); build others again
            plain = isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:str"
            key = key_node.value if plain else self.construct_object(key_node)
            if key in lines:
                self.repeated.append((key_node.start_mark.line + 1, str(key)))
            lines[key] = key_node.start_mark.line + 1
        self.lines[id(data)] = (data, lines)

    def sequence(self, node: yaml.SequenceNode) -> Iterator[list[Any]]:
        data: list[Any] = []
        yield data
        data.extend(self.construct_sequence(node))
        self.lines[id(data)] = (data, {i: item.start_mark.line + 1 for i, item in enumerate(node.value)})


_MarkingLoader.add_constructor("tag:yaml.org,2002:map", _MarkingLoader.mapping)
_MarkingLoader.add_constructor("tag:yaml.org,2002:seq", _MarkingLoader.sequence)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: its data, and the line of every key and list item in it."""

    file: str
    data: Any
    lines: dict[int, tuple[object, dict[Any, int]]] = field(default_factory=dict, repr=False)

    def line_of(self, path: Sequence[str | int]) -> int:
        """1-based line of the value at `path`, or of the deepest existing parent when it is missing."""
        line, value = 1, self.data
        for step in path:
            known = self.lines.get(id(value))
            if known is None or step not in known[1]:
                return line
            line, value = known[1][step], value[step]
        return line


def read_yaml(path: Path) -> tuple[YamlDocument | None, list[Problem]]:
    """The document, or None with a problem naming the line where the YAML breaks."""
    file = str(path)
    try:
        loader = _MarkingLoader(path.read_text(encoding="utf-8"))
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        return None, [Problem(file, line, None, f"bad YAML: {err.problem or err}")]
    except UnicodeDecodeError as err:  # name the line the bad bytes are on, as for any other YAML error
        line = err.object[: err.start].count(b"\n") + 1
        return None, [Problem(file, line, None, f"not UTF-8 text: byte {err.object[err.start]:#04x} cannot be read")]
    except yaml.reader.ReaderError as err:  # a control character: name its line
        line = path.read_text(encoding="utf-8")[: err.position].count("\n") + 1
        return None, [Problem(file, line, None, f"character {err.character!r} is not allowed in YAML")]
    except (yaml.YAMLError, OSError) as err:
        return None, [Problem(file, None, None, f"cannot read: {err}")]
    repeated = [Problem(file, line, key, "key given twice in the same mapping") for line, key in loader.repeated]
    return YamlDocument(file, data, loader.lines), repeated
