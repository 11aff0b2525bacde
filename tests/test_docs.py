"""The docs stay true: the README's table of settings and the links between the guides.

The settings table is the one place an operator learns what Gardien reads from the
environment, so a variable added to the code without a row (or a row left behind after a
variable went) fails here. Both sides are read as text: the code through its calls of the
strict helpers of ``gardien/lib/env.py`` (and any direct ``os.environ`` read), the README
through the first column of the table under "## Configuration".
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))

# envstr("NAME", …), envurl("NAME", …) and the other env* readers, os.environ.get("NAME"), os.environ["NAME"],
# os.getenv("NAME"): every way Gardien's code reads a variable by a literal name.
# ``os.environ.setdefault("DJANGO_SETTINGS_MODULE", …)`` writes a default for Django and is
# no setting of Gardien's.
CODE_READ = re.compile(
    r"""\benv[a-z]+\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|\bos\.environ(?:\.get\(\s*|\[\s*)["']([A-Z][A-Z0-9_]*)["']"""
    r"""|\bgetenv\(\s*["']([A-Z][A-Z0-9_]*)["']"""
)
# A module that reads several variables in a loop names them in a constant:
# ``LANGUAGE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")``.
NAMED_VARIABLES = re.compile(r"^[A-Z_]*VARIABLES\s*(?::[^=]*)?=\s*\(([^)]*)\)", re.MULTILINE)
QUOTED_NAME = re.compile(r"""["']([A-Z][A-Z0-9_]*)["']""")
# `make run` reads a few variables itself (the address it serves on): `HOST ?= …`,
# `run: export SITE_URL ?= …`.
MAKE_READ = re.compile(r"^(?:\S+:\s*)?(?:export\s+)?([A-Z][A-Z0-9_]*)\s*\?=", re.MULTILINE)
NAME_IN_CELL = re.compile(r"`([A-Z][A-Z0-9_]*)`")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def variables_read_by_code() -> dict[str, str]:
    """Each variable Gardien's package reads, with the first file that reads it."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "gardien").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        names = [next(group for group in m.groups() if group) for m in CODE_READ.finditer(text)]
        for listed in NAMED_VARIABLES.findall(text):
            names += QUOTED_NAME.findall(listed)
        for name in names:
            found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def variables_read_by_make() -> set[str]:
    return set(MAKE_READ.findall((ROOT / "Makefile").read_text(encoding="utf-8")))


def settings_table() -> list[str]:
    """The variables named in the first column of the README's table of settings."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert len(rows) > 2, "the README's Configuration section has no table of settings"
    names: list[str] = []
    for row in rows[2:]:  # past the header and its |---| line
        first_cell = row.split("|")[1]
        names += NAME_IN_CELL.findall(first_cell)
    return names


def test_it_lists_every_variable_gardien_reads() -> None:
    in_table = set(settings_table())
    missing = {
        name: path for name, path in variables_read_by_code().items() if name not in in_table
    }
    assert not missing, (
        "variables read by Gardien but missing from the README's table of settings "
        f"(add a row under ## Configuration): {missing}"
    )


def test_it_lists_only_variables_something_reads() -> None:
    read = set(variables_read_by_code()) | variables_read_by_make()
    stale = sorted(set(settings_table()) - read)
    assert not stale, f"the README's table of settings names variables nothing reads: {stale}"


def test_it_lists_each_variable_once() -> None:
    names = settings_table()
    twice = sorted({name for name in names if names.count(name) > 1})
    assert not twice, f"variables listed twice in the README's table of settings: {twice}"


def slug(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub's rule) gives a heading."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in {"L", "N"})
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(heading) for heading in HEADING.findall(text)}


def test_every_relative_link_points_to_an_existing_file_and_heading() -> None:
    broken: list[str] = []
    for page in [README, *DOCS]:
        text = FENCE.sub("", page.read_text(encoding="utf-8"))
        for target in LINK.findall(text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:…
                continue
            file_part, _, anchor = target.partition("#")
            linked = (page.parent / file_part).resolve() if file_part else page
            where = f"{page.relative_to(ROOT)} → {target}"
            if not linked.exists():
                broken.append(f"{where}: no such file")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{where}: no heading with that anchor")
    assert not broken, "broken links:\n" + "\n".join(broken)


def heading_levels(path: Path) -> list[int]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return [len(line) - len(line.lstrip("#")) for line in text.splitlines() if line[:1] == "#"]


def test_the_dpo_guides_have_the_same_structure_in_both_languages() -> None:
    english, french = ROOT / "docs" / "dpo.en.md", ROOT / "docs" / "dpo.fr.md"
    assert heading_levels(english) == heading_levels(french), (
        "docs/dpo.en.md and docs/dpo.fr.md should have the same sections in the same order"
    )


def test_the_docs_name_only_variables_gardien_reads() -> None:
    read = set(variables_read_by_code())
    pages = [README, *DOCS, *sorted((ROOT / "docs" / "deploy").iterdir())]
    unknown = sorted(
        f"{page.relative_to(ROOT)}: {name}"
        for page in pages
        for name in set(re.findall(r"\bGARDIEN_[A-Z0-9_]*[A-Z0-9]\b", page.read_text("utf-8")))
        if name not in read and name.removesuffix("_FILE") not in read
    )
    assert not unknown, "the docs name settings Gardien does not read:\n" + "\n".join(unknown)
