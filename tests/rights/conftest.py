"""The rights tests read Gardien's sentences in English: a request made in French is set so
explicitly, and pages follow the language the client asks for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield
