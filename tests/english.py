"""English for the tests that read a command's English output.

Gardien's commands speak the language of ``--lang``, else of the environment (``LC_ALL``,
``LC_MESSAGES``, ``LANG``), else ``LANGUAGE_CODE`` (French); ``call_command`` keeps the active
language. A module whose assertions are written in English imports the fixture, which then
applies to every test of the module::

    from tests.english import english  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from gardien.lib.command import LANGUAGE_VARIABLES


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in LANGUAGE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")  # subprocesses and `main([...])` read it
    with translation.override("en"):
        yield
