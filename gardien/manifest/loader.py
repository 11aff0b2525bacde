"""Load a manifest and report every problem at once, each with its line."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from pydantic import BaseModel, ValidationError

from gardien.manifest import rules
from gardien.manifest.locate import Locator, Path
from gardien.manifest.schema import Manifest, Text, WholeSentence
from gardien.manifest.wording import LANGUAGES

MAX_BYTES = 1024 * 1024
# The languages of a manifest text, as its author is told about a missing one. Problems are
# worded when a manifest is checked, in the language active then: module-level words are lazy.
LANGUAGE_NAMES = dict(
    zip(LANGUAGES, (gettext_lazy("French"), gettext_lazy("English")), strict=True)
)

_ADD_HINTS = {
    "legal_basis": gettext_lazy(
        'legal_basis = "consent" (or contract, legal_obligation, vital_interests, '
        "public_task, legitimate_interest)"
    ),
    "retention": 'retention = "3 years after last_contact"',
    "activities": gettext_lazy("at least one [[activities]] table"),
    "fields": gettext_lazy("at least one [[activities.fields]] table"),
    "required": gettext_lazy("required = true (or false)"),
    "purpose": 'purpose = { fr = "…", en = "…" }',
    "id": 'id = "a_short_name"',
    "lifetime": 'lifetime = "13 months"',
    "consent": gettext_lazy('consent = "required" (or "not_needed", "exempt_with_opt_out")'),
    "brand": gettext_lazy('brand = "#1d3d6b" (the colour of the banner\'s buttons)'),
}


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    message: str


class ManifestError(Exception):
    """The manifest cannot be used; ``problems`` lists every reason with its line."""

    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        self.problems = sorted(set(problems))
        super().__init__(self.report())

    def lines(self) -> list[str]:
        return [f"{self.filename}:{p.line}: {p.message}" for p in self.problems]

    def report(self) -> str:
        return "\n".join(self.lines())


def _field_type(model: type[BaseModel], key: str) -> Any:
    info = model.model_fields.get(key)
    return info.annotation if info else None


def _unwrap(annotation: Any) -> Any:
    """list[X] → X, X | None → X, Annotated[X, …] → X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (list, typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if args else None
        else:
            return annotation


def _model_at(path: Path) -> type[BaseModel] | None:
    model: Any = Manifest
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        model = _unwrap(_field_type(model, part))
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


_SECTIONS = ("controller", "dpo", "authority", "site", "policy", "rights", "cookies", "taxonomy")

_SECTION_NAMES = {
    "activities": (gettext_lazy("activity"), "id"),
    "processors": (gettext_lazy("processor"), "id"),
    "fields": (gettext_lazy("field"), "name"),
    "records": (pgettext_lazy("manifest", "record"), "id"),
    "transfers": (gettext_lazy("transfer"), "recipient"),
    "purposes": (gettext_lazy("cookie purpose"), "id"),
    "services": (gettext_lazy("cookie service"), "id"),
    "data_categories": (gettext_lazy("data category"), "key"),
}


def _describe(data: Any, path: Path) -> tuple[str, Path]:
    """Split a path into a human context ('activity "contact", field "email"') and the rest."""
    parts: list[str] = []
    node = data
    i = 0
    while i < len(path):
        part = path[i]
        nxt = path[i + 1] if i + 1 < len(path) else None
        if (
            isinstance(part, str)
            and isinstance(nxt, int)
            and (part in _SECTION_NAMES or part == "cookies")
        ):
            items = node.get(part) if isinstance(node, dict) else None
            item = items[nxt] if isinstance(items, list) and nxt < len(items) else None
            label: Any
            if part == "cookies" and i > 0:
                label, key = _("cookie"), "name"
            elif part in _SECTION_NAMES:
                label, key = _SECTION_NAMES[part]
            else:
                break
            name = item.get(key) if isinstance(item, dict) else None
            parts.append(f'{label} "{name}"' if isinstance(name, str) else f"{label} #{nxt + 1}")
            node = item
            i += 2
            continue
        if i == 0 and isinstance(part, str) and part not in _SECTION_NAMES and part != "cookies":
            parts.append(f"[{part}]")
            node = node.get(part) if isinstance(node, dict) else None
            i += 1
            continue
        if part in ("cookies", "taxonomy") and i == 0:
            parts.append(f"[{part}]")
            node = node.get(part) if isinstance(node, dict) else None
            i += 1
            continue
        break
    if len(parts) > 1 and parts[0] in ("[cookies]", "[taxonomy]"):
        parts = parts[1:]
    return ", ".join(parts), path[i:]


def _key_name(rest: Path) -> str:
    names = [str(p) if isinstance(p, str) else f"[{p + 1}]" for p in rest]
    text = ".".join(names).replace(".[", "[")
    return text or "value"


def _pydantic_message(error: Any, rest: Path, parent: Path) -> str:
    kind = error["type"]
    key = _key_name(rest)
    last = next((p for p in reversed(rest) if isinstance(p, str)), key)
    given = error.get("input")
    ctx = error.get("ctx", {})
    names = {"key": key, "last": last, "given": given}
    if kind == "missing":
        if last in LANGUAGE_NAMES and len(rest) > 1:
            return _('%(key)s has no %(language)s text; add %(last)s = "…"') % {
                "key": _key_name(rest[:-1]),
                "language": LANGUAGE_NAMES[str(last)],
                "last": last,
            }
        if not rest[:-1] and last in _SECTIONS:
            return _(
                "the [%(last)s] section is missing; add it (see examples/coopo/gardien.toml)"
            ) % {"last": last}
        hint = _ADD_HINTS.get(last, f"{last} = …")
        return _("%(key)s is missing; add %(hint)s") % {"key": key, "hint": hint}
    if kind == "extra_forbidden":
        model = _model_at(parent)
        allowed = sorted(model.model_fields) if model else []
        close = _closest_key(parent, str(last))
        if close:
            return _(
                'unknown key "%(last)s"; remove it or fix its spelling; did you mean "%(close)s"?'
            ) % {"last": last, "close": close}
        if allowed:
            return _(
                'unknown key "%(last)s"; remove it or fix its spelling (allowed here: %(allowed)s)'
            ) % {"last": last, "allowed": ", ".join(allowed)}
        return _('unknown key "%(last)s"; remove it or fix its spelling') % names
    if kind == "literal_error":
        return _('%(key)s "%(given)s" is not allowed; use one of %(expected)s') % {
            **names,
            "expected": _choices(str(ctx.get("expected", ""))),
        }
    if kind == "value_error":
        problem = ctx.get("error")
        message = str(problem if problem is not None else error["msg"])
        if isinstance(problem, WholeSentence):
            return message
        if message.startswith('"'):
            return f"{key} {message}"
        return f"{key}: {message}"
    if kind in ("string_type",):
        return _('%(key)s should be text in quotes, e.g. %(last)s = "…"') % names
    if kind in ("bool_type", "bool_parsing"):
        return _("%(key)s should be true or false") % names
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("%(key)s should be a whole number") % names
    if kind == "list_type":
        return _('%(key)s should be a list, e.g. %(last)s = ["…"]') % names
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        if _model_at(parent) is Text:
            return (
                _(
                    "%(key)s should be a text in each language, "
                    'e.g. %(last)s = { fr = "…", en = "…" }'
                )
                % names
            )
        return _("%(key)s should be a table: a [section] or { key = value, … }") % names
    if kind == "too_short":
        return _("%(key)s is empty; it needs at least one entry") % names
    if kind == "string_too_short":
        return _("%(key)s is empty; write something") % names
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("%(key)s should be a date without quotes, e.g. %(last)s = 2024-05-01") % names
    if kind == "string_pattern_mismatch":
        return (
            _('%(key)s "%(given)s" has the wrong form; write e.g. "user.workplace.status"') % names
        )
    if kind == "greater_than":
        return _("%(key)s should be greater than %(limit)s") % {**names, "limit": ctx.get("gt")}
    if kind == "greater_than_equal":
        return _("%(key)s should be at least %(limit)s") % {**names, "limit": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("%(key)s should be at most %(limit)s") % {**names, "limit": ctx.get("le")}
    return f"{key}: {error['msg']}"


def _choices(expected: str) -> str:
    """Pydantic's "'a', 'b' or 'c'" with "or" in the problem's language."""
    values = re.findall(r"'[^']*'", expected)
    if len(values) < 2:
        return expected
    return _("%(values)s or %(last)s") % {"values": ", ".join(values[:-1]), "last": values[-1]}


def _closest_key(parent: Path, key: str) -> str | None:
    """The allowed key of the table at ``parent`` that ``key`` most likely misspells."""
    model = _model_at(parent)
    close = difflib.get_close_matches(key, sorted(model.model_fields), n=1) if model else []
    return close[0] if close else None


def _problems_from_validation(exc: ValidationError, data: Any, locator: Locator) -> list[Problem]:
    problems = []
    errors = exc.errors(include_url=False)
    # A misspelt required key is reported once, as the unknown key with its "did you mean".
    misspelt = {
        (*error["loc"][:-1], close)
        for error in errors
        if error["type"] == "extra_forbidden"
        and (close := _closest_key(tuple(error["loc"][:-1]), str(error["loc"][-1])))
    }
    for error in errors:
        loc: Path = tuple(error["loc"])
        rest: Path
        if error["type"] == "missing" and loc in misspelt:
            continue
        if len(loc) == 1:
            context, rest = "", loc
        else:
            context, rest = _describe(data, loc)
        parent = loc[:-1] if error["type"] == "extra_forbidden" else loc
        message = _pydantic_message(error, rest, parent)
        problems.append(
            Problem(locator.line_of(loc), f"{context}: {message}" if context else message)
        )
    return problems


def validate_data(
    data: Any, text: str = "", filename: str = "gardien.toml", *, stored: bool = False
) -> Manifest:
    """Validate parsed TOML data; raise :class:`ManifestError` listing every problem.

    ``stored``: the data of a version published earlier. It is read with the shape and the
    grammar of today but without the rules that judge its content (known data categories,
    consistency between parts), which a later release may have made stricter: a published
    version renders as it was published.
    """
    locator = Locator(text)
    if not isinstance(data, dict):
        raise ManifestError(
            filename, [Problem(1, _("the manifest should be a TOML document of tables"))]
        )
    problems: list[Problem] = []
    manifest: Manifest | None = None
    try:
        manifest = Manifest.model_validate(
            data, context={"extensions": rules.extension_keys(data), "stored": stored}
        )
    except ValidationError as exc:
        problems += _problems_from_validation(exc, data, locator)
    for path, message in [] if stored else rules.check(data):
        context, _rest = _describe(data, path)
        problems.append(
            Problem(locator.line_of(path), f"{context}: {message}" if context else message)
        )
    if problems or manifest is None:
        raise ManifestError(filename, problems)
    return manifest


_DECODE_AT = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$")


def _decode_error_position(exc: tomllib.TOMLDecodeError, text: str) -> tuple[int, str]:
    """The line and message of a TOML error (Python < 3.14 only puts them in the text)."""
    lineno, msg = getattr(exc, "lineno", None), getattr(exc, "msg", None)
    if lineno and msg:
        return lineno, msg
    message = str(exc)
    match = _DECODE_AT.search(message)
    if not match:
        return 1, message
    line = int(match[1]) if match[1] else text.count("\n") + 1
    return line, message[: match.start()]


def load_text(text: str, filename: str = "gardien.toml") -> Manifest:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ManifestError(
            filename, [Problem(1, _("the manifest is larger than 1 MiB; is this the right file?"))]
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, detail = _decode_error_position(exc, text)
        raise ManifestError(
            filename,
            [
                Problem(
                    line,
                    _("this is not valid TOML (%(detail)s); check quotes, brackets and commas")
                    % {"detail": detail},
                )
            ],
        ) from None
    except RecursionError:
        raise ManifestError(
            filename, [Problem(1, _("the manifest is nested too deeply to be read"))]
        ) from None
    return validate_data(data, text, filename)


def load_path(path: str | FilePath) -> Manifest:
    file = FilePath(path)
    name = str(path)
    try:
        if file.stat().st_size > MAX_BYTES:
            raise ManifestError(
                name, [Problem(1, _("the manifest is larger than 1 MiB; is this the right file?"))]
            )
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ManifestError(
            name,
            [
                Problem(
                    1,
                    _("no such file; give the path of your gardien.toml (or set GARDIEN_MANIFEST)"),
                )
            ],
        ) from None
    except IsADirectoryError:
        raise ManifestError(
            name,
            [Problem(1, _("this is a folder; give the path of the gardien.toml file inside it"))],
        ) from None
    except OSError as exc:
        raise ManifestError(
            name, [Problem(1, _("cannot be read (%(reason)s)") % {"reason": exc.strerror})]
        ) from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # the byte-order mark some Windows editors write
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ManifestError(
            name, [Problem(line, _("this line is not UTF-8 text; save the file as UTF-8"))]
        ) from None
    return load_text(text, name)


def content_hash(manifest: Manifest) -> str:
    """A hash of what the manifest says, blind to comments, spacing and key order."""
    canonical = json.dumps(manifest.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
