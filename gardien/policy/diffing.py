"""A readable comparison of two versions of the policy, line by line and word by word."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

CONTEXT = 2


@dataclass
class Row:
    kind: str  # same, added, removed, changed, skipped
    html: SafeString
    count: int = 0


def _words(old: str, new: str) -> tuple[SafeString, SafeString]:
    a, b = old.split(" "), new.split(" ")
    left: list[str] = []
    right: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        old_part, new_part = escape(" ".join(a[i1:i2])), escape(" ".join(b[j1:j2]))
        if tag == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if i2 > i1:
            left.append(f"<del>{old_part}</del>")
        if j2 > j1:
            right.append(f"<ins>{new_part}</ins>")
    return mark_safe(" ".join(left)), mark_safe(" ".join(right))  # noqa: S308 (escaped above)


def compare(old: list[str], new: list[str]) -> list[Row]:
    rows: list[Row] = []
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            block = old[i1:i2]
            head = block[:CONTEXT] if index > 0 else []
            tail = block[-CONTEXT:] if index < len(opcodes) - 1 else []
            if len(head) + len(tail) >= len(block):
                rows += [Row("same", escape(line)) for line in block]
                continue
            rows += [Row("same", escape(line)) for line in head]
            rows.append(Row("skipped", mark_safe(""), len(block) - len(head) - len(tail)))
            rows += [Row("same", escape(line)) for line in tail]
        elif tag == "replace" and i2 - i1 == j2 - j1:
            for old_line, new_line in zip(old[i1:i2], new[j1:j2], strict=True):
                left, right = _words(old_line, new_line)
                rows.append(Row("removed", left))
                rows.append(Row("added", right))
        else:
            rows += [Row("removed", escape(line)) for line in old[i1:i2]]
            rows += [Row("added", escape(line)) for line in new[j1:j2]]
    return rows
