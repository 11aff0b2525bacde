"""Shared material for the policy tests: the Coopo manifest, edited copies, page text."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest

INLINE = frozenset(
    {"a", "abbr", "b", "code", "del", "em", "i", "ins", "small", "span", "strong", "time"}
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE:
            self.parts.append(" ")


def visible_text(html: str) -> str:
    """What a reader sees: tags gone, entities decoded, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def items_of_class(html: str, css_class: str) -> list[str]:
    """The visible text of each ``<li class="css_class">`` of a page."""
    pattern = rf'<li class="{re.escape(css_class)}">(.*?)</li>'
    return [visible_text(m) for m in re.findall(pattern, html, flags=re.S)]


@pytest.fixture
def text_of() -> Callable[[str], str]:
    return visible_text


@pytest.fixture
def items_of() -> Callable[[str, str], list[str]]:
    return items_of_class
