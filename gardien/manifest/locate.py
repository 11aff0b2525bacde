"""Map a path in a TOML document (``("activities", 2, "retention")``) to its line.

``tomllib`` gives no positions, so this scanner follows table headers, keys and
multi-line arrays closely enough to point the author at the right line.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*((?:[A-Za-z0-9_-]+|"[^"]*")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"))*)\s*=\s*(.*)$')
_INLINE_KEY = re.compile(r'([A-Za-z0-9_-]+)\s*=')


def _split_key(text: str) -> list[str]:
    return [part.strip().strip('"') for part in re.split(r"\.(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", text)]


def _depth_change(text: str) -> int:
    """Bracket balance of a line, ignoring brackets inside strings and comments."""
    depth = 0
    in_string: str | None = None
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\" and in_string == '"':
                escaped = True
            elif char == in_string:
                in_string = None
            continue
        if char in "\"'":
            in_string = char
        elif char == "#":
            break
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return depth


class Locator:
    def __init__(self, text: str) -> None:
        self.lines: dict[Path, int] = {}
        self._arrays: dict[Path, int] = {}
        self._scan(text.splitlines())

    def _resolve(self, keys: list[str]) -> Path:
        path: Path = ()
        for key in keys:
            path = (*path, key)
            if path in self._arrays:
                path = (*path, self._arrays[path])
        return path

    def _scan(self, lines: list[str]) -> None:
        table: Path = ()
        open_array: Path | None = None
        depth = 0
        element = -1
        for number, line in enumerate(lines, start=1):
            if open_array is not None:
                stripped = line.strip()
                if depth == 1 and stripped and not stripped.startswith(("#", "]")):
                    element += 1
                    self.lines.setdefault((*open_array, element), number)
                    for key in _INLINE_KEY.findall(stripped if stripped.startswith("{") else ""):
                        self.lines.setdefault((*open_array, element, key), number)
                depth += _depth_change(line)
                if depth <= 0:
                    open_array = None
                continue
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                keys = _split_key(header.group(2))
                if header.group(1) == "[[":
                    parent = self._resolve(keys[:-1])
                    array = (*parent, keys[-1])
                    self._arrays[array] = self._arrays.get(array, -1) + 1
                    self.lines.setdefault(array, number)
                    table = (*array, self._arrays[array])
                else:
                    table = self._resolve(keys)
                self.lines.setdefault(table, number)
                continue
            match = _KEY.match(line)
            if not match:
                continue
            path = (*table, *_split_key(match.group(1)))
            self.lines.setdefault(path, number)
            value = match.group(2)
            if value.startswith("{"):
                for key in _INLINE_KEY.findall(value):
                    self.lines.setdefault((*path, key), number)
            change = _depth_change(value)
            if value.startswith("[") and change > 0:
                open_array, depth, element = path, change, -1

    def line_of(self, path: Path) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1
