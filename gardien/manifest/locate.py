"""Map a path in a TOML document (``("activities", 2, "retention")``) to its line.

``tomllib`` gives no positions, so this scanner follows table headers, keys,
multi-line arrays (element by element) and multi-line strings closely enough to
point the author at the right line.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r'^\s*((?:[A-Za-z0-9_-]+|"[^"]*")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"))*)\s*=\s*(.*)$'
)
_INLINE_KEY = re.compile(r"([A-Za-z0-9_-]+)\s*=")
# Outside strings: string openers, punctuation, comments, and runs of anything else.
_TOKEN = re.compile(r"""'''|\"\"\"|[#"'\[\]{},]|[^\s#"'\[\]{},]+""")
_QUOTES = ('"""', "'''", '"', "'")
# The rest of a string up to its closing quotes (a triple-quoted one may end with 1-2 more).
_STRING_END = {
    '"': re.compile(r'(?:[^"\\]|\\.)*"'),
    "'": re.compile(r"[^']*'"),
    '"""': re.compile(r'(?:[^"\\]|\\.|"(?!""))*"""(?:""?)?'),
    "'''": re.compile(r"(?:[^']|'(?!''))*'''(?:''?)?"),
}


def _split_key(text: str) -> list[str]:
    return [
        part.strip().strip('"') for part in re.split(r"\.(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", text)
    ]


class _Value:
    """A value read line by line: its bracket depth, the multi-line string it leaves open,
    and, for an array, where each of its elements starts."""

    def __init__(self, path: Path, array: bool) -> None:
        self.path = path
        self.array = array
        self.depth = 0
        self.string: str | None = None  # the delimiter of the string being read
        self.expecting = False  # the next token inside the array starts an element
        self.elements = -1

    @property
    def closed(self) -> bool:
        return self.depth <= 0 and self.string is None

    def feed(self, text: str) -> list[int]:
        """Read one line; return the offsets where elements of the array start.

        Brackets and commas inside strings and comments do not count.
        """
        starts: list[int] = []
        i = 0
        while i < len(text):
            if self.string:
                end = _STRING_END[self.string].match(text, i)
                if end is None:
                    if len(self.string) == 1:
                        self.string = None  # a one-line string cannot go on to the next line
                    break
                i = end.end()
                self.string = None
                continue
            token = _TOKEN.search(text, i)
            if token is None:
                break
            i = token.end()
            word = token.group()
            if word == "#":
                break
            if self.depth == 1 and self.expecting and word not in (",", "]"):
                starts.append(token.start())
                self.expecting = False
            if word in _QUOTES:
                self.string = word
            elif word in ("[", "{"):
                self.depth += 1
                self.expecting = self.depth == 1 and word == "["
            elif word in ("]", "}"):
                self.depth -= 1
            elif word == "," and self.depth == 1:
                self.expecting = True
        return starts


class Locator:
    def __init__(self, text: str) -> None:
        self.lines: dict[Path, int] = {}
        self._arrays: dict[Path, int] = {}
        # Lines as TOML and editors count them: only "\n" ends a line ("\r\n" included), not
        # the other breaks str.splitlines() knows (U+2028, form feed…), which may sit in a value.
        self._scan([line.removesuffix("\r") for line in text.split("\n")])

    def _resolve(self, keys: list[str]) -> Path:
        path: Path = ()
        for key in keys:
            path = (*path, key)
            if path in self._arrays:
                path = (*path, self._arrays[path])
        return path

    def _follow(self, value: _Value, text: str, number: int) -> None:
        """Read one line of a value, noting the line of each array element and its keys."""
        starts = value.feed(text)
        if not value.array:
            return
        for k, start in enumerate(starts):
            value.elements += 1
            element = (*value.path, value.elements)
            self.lines.setdefault(element, number)
            if text[start] == "{":
                end = starts[k + 1] if k + 1 < len(starts) else len(text)
                for key in _INLINE_KEY.findall(text[start:end]):
                    self.lines.setdefault((*element, key), number)

    def _scan(self, lines: list[str]) -> None:
        table: Path = ()
        value: _Value | None = None  # a value going on over several lines: no key nor header
        for number, line in enumerate(lines, start=1):
            if value is not None:
                self._follow(value, line, number)
                if value.closed:
                    value = None
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
            text = match.group(2)
            if text.startswith("{"):
                for key in _INLINE_KEY.findall(text):
                    self.lines.setdefault((*path, key), number)
            value = _Value(path, array=text.startswith("["))
            self._follow(value, text, number)
            if value.closed:
                value = None

    def line_of(self, path: Path) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1
