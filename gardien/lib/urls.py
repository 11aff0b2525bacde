"""URL helpers: every public page answers at /page/ and /fr/page/, /en/page/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path


class LanguageConverter:
    regex = "fr|en"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def localized(route: str, view: Callable[..., Any], name: str) -> list[URLPattern]:
    """``route`` without a language prefix (browser's language) and with one (``<name>-lang``)."""
    return [
        path(route, view, name=name),
        path(f"<lang:lang>/{route}", view, name=f"{name}-lang"),
    ]
