"""Data-category keys: fideslang's default taxonomy plus the manifest's own extensions."""

from __future__ import annotations

import difflib
from functools import cache


@cache
def fideslang_categories() -> dict[str, str]:
    """Every data-category key of fideslang's default taxonomy with its English name."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return {c.fides_key: (c.name or c.fides_key) for c in DEFAULT_TAXONOMY.data_category}


def unknown_category_message(key: str, extensions: set[str]) -> str:
    known = set(fideslang_categories()) | extensions
    close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else (
        "; use a key of fideslang's taxonomy (e.g. 'user.contact.email') "
        "or declare it under [[taxonomy.data_categories]]"
    )
    return f'data category "{key}" is not in the fideslang taxonomy nor declared by the manifest{hint}'
