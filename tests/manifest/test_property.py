"""Whatever it is given, the loader answers with a manifest or with located problems."""

from __future__ import annotations

import copy
import string
import typing
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from gardien.manifest import Manifest, ManifestError, load_text, validate_data

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _keys(model: type[BaseModel], seen: set[str]) -> set[str]:
    """Every key the schema knows, to build structures that reach deep into validation."""
    for name, info in model.model_fields.items():
        if name not in seen:
            seen.add(name)
            for inner in _models(info.annotation):
                _keys(inner, seen)
    return seen


KEYS = sorted(_keys(Manifest, set()))


def assert_answers_well(call, text: str = "") -> ManifestError | None:
    """The call returns a Manifest or raises a ManifestError whose problems are all usable."""
    try:
        result = call()
    except ManifestError as error:
        assert error.problems, "a ManifestError must list at least one problem"
        last_line = text.count("\n") + 1
        for problem in error.problems:
            assert isinstance(problem.line, int)
            assert 1 <= problem.line <= max(last_line, 1), problem
            assert isinstance(problem.message, str)
            assert problem.message.strip(), problem
        assert error.problems == sorted(set(error.problems))
        return error
    assert isinstance(result, Manifest)
    return None


# --- (a) any text --------------------------------------------------------------------------


def toml_like(lines: list[str]) -> st.SearchStrategy[str]:
    """Texts made of real manifest lines and bits of TOML punctuation."""
    return st.lists(
        st.one_of(
            st.sampled_from(lines),
            st.text(alphabet="[]{}=\"',.#\n -_abcdefrstuy0123456789", max_size=30),
        ),
        max_size=40,
    ).map("\n".join)


@FUZZ
@given(data=st.data())
def test_it_answers_any_text_with_a_manifest_or_located_problems(data, coopo_text, valid_text):
    lines = coopo_text.split("\n") + valid_text.split("\n")
    text = data.draw(st.one_of(st.text(), toml_like(lines)), label="text")

    assert_answers_well(lambda: load_text(text), text)


@FUZZ
@given(data=st.data())
def test_it_answers_a_valid_manifest_with_a_few_lines_changed(data, coopo_text, valid_text):
    lines = valid_text.split("\n")
    replacements = coopo_text.split("\n") + lines
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(lines) - 1))
        lines[index] = data.draw(st.one_of(st.sampled_from(replacements), st.text(max_size=20)))
    text = "\n".join(lines)

    assert_answers_well(lambda: load_text(text), text)


# --- (b) any structure ---------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "consent",
            "legitimate_interest",
            "FR",
            "US",
            "third",
            "required",
            "choice",
            "session",
            "13 months",
            "3 years after last_contact",
            "until consent withdrawn",
            "user.contact.email",
            "https://example.org",
            "a@b.co",
        ]
    ),
    st.dates(),
    st.datetimes(),
    st.times(),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(alphabet=string.ascii_lowercase + "_", max_size=12))
structures = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=6),
    ),
    max_leaves=40,
)


@FUZZ
@given(st.one_of(structures, st.dictionaries(st.sampled_from(KEYS), structures, max_size=12)))
def test_it_answers_any_structure_with_a_manifest_or_located_problems(data):
    assert_answers_well(lambda: validate_data(data))


# --- (c) the Coopo manifest, mutated -------------------------------------------------------


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _at(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated(draw, parsed: dict) -> tuple[dict, str | None]:
    """A copy of the parsed manifest with one to three mutations.

    Each mutation drops a key (or a list element), replaces a leaf with a random value, or
    inserts an unknown key. Also returns that key when the last mutation inserted it into
    one of the manifest's own tables (not into a value a replacement made up).
    """
    data = copy.deepcopy(parsed)
    tables = {id(node) for path in _paths(data) if isinstance(node := _at(data, path), dict)}
    unknown: str | None = None
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        kind = draw(st.sampled_from(["drop", "replace", "insert"]))
        unknown = None
        if kind == "insert":
            table = _at(
                data, draw(st.sampled_from([p for p in paths if isinstance(_at(data, p), dict)]))
            )
            name = "zz_" + draw(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8))
            table[name] = draw(structures)
            unknown = name if id(table) in tables else None
        elif kind == "drop":
            path = draw(st.sampled_from(paths[1:]))
            del _at(data, path[:-1])[path[-1]]
        else:
            leaves = [p for p in paths[1:] if not isinstance(_at(data, p), dict | list)]
            path = draw(st.sampled_from(leaves or paths[1:]))
            _at(data, path[:-1])[path[-1]] = draw(structures)
    return data, unknown


@FUZZ
@given(data=st.data())
def test_it_answers_a_mutated_coopo_manifest_with_a_manifest_or_located_problems(
    data, coopo_data, coopo_text
):
    mutation, unknown = data.draw(mutated(coopo_data), label="mutation")

    error = assert_answers_well(lambda: validate_data(mutation, coopo_text), coopo_text)

    if unknown is not None:
        assert error is not None, f"the unknown key {unknown!r} was accepted"
        assert any(f'unknown key "{unknown}"' in p.message for p in error.problems)


def test_it_starts_the_mutations_from_a_manifest_that_loads(coopo_data, coopo_text):
    assert isinstance(validate_data(coopo_data, coopo_text), Manifest)
