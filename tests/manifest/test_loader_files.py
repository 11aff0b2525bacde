"""Reading the manifest file: every failure is one clear sentence with a line, never a traceback."""

from __future__ import annotations

import pytest

from gardien.manifest import ManifestError, load_path, load_text
from gardien.manifest.loader import MAX_BYTES, Problem


def problems_of(path) -> list[Problem]:
    with pytest.raises(ManifestError) as caught:
        load_path(path)
    return caught.value.problems


def test_it_loads_a_manifest_file(tmp_path, draft):
    path = tmp_path / "gardien.toml"
    path.write_text(draft.text, encoding="utf-8")

    assert load_path(path).controller.name == "Atelier Bleu"
    assert load_path(str(path)).controller.name == "Atelier Bleu"


def test_it_says_when_the_file_does_not_exist(tmp_path):
    path = tmp_path / "gardien.toml"

    with pytest.raises(ManifestError) as caught:
        load_path(path)

    assert caught.value.lines() == [
        f"{path}:1: no such file; give the path of your gardien.toml (or set GARDIEN_MANIFEST)"
    ]


def test_it_says_when_the_path_is_a_folder(tmp_path):
    assert problems_of(tmp_path) == [
        Problem(1, "this is a folder; give the path of the gardien.toml file inside it")
    ]


def test_it_points_at_the_line_of_a_byte_that_is_not_utf8(tmp_path, draft):
    path = tmp_path / "gardien.toml"
    raw = draft.text.encode("utf-8").replace(b'name = "Mailer"', b'name = "Mailer \xe9t\xe9"')
    path.write_bytes(raw)

    assert problems_of(path) == [
        Problem(
            draft.line_of('name = "Mailer"'), "this line is not UTF-8 text; save the file as UTF-8"
        )
    ]


def test_it_points_at_a_bad_byte_on_the_first_line(tmp_path):
    path = tmp_path / "gardien.toml"
    path.write_bytes(b"\xff\xfeschema_version = 1\n")

    assert problems_of(path) == [Problem(1, "this line is not UTF-8 text; save the file as UTF-8")]


def test_it_refuses_a_file_over_one_mebibyte(tmp_path):
    path = tmp_path / "gardien.toml"
    path.write_bytes(b"# padding\n" * (MAX_BYTES // 10 + 1))

    assert problems_of(path) == [
        Problem(1, "the manifest is larger than 1 MiB; is this the right file?")
    ]


def test_it_refuses_text_over_one_mebibyte():
    with pytest.raises(ManifestError) as caught:
        load_text("#" + "é" * (MAX_BYTES // 2))

    assert caught.value.problems == [
        Problem(1, "the manifest is larger than 1 MiB; is this the right file?")
    ]


def test_it_reads_a_file_of_exactly_one_mebibyte(tmp_path, draft):
    path = tmp_path / "gardien.toml"
    body = draft.text.encode("utf-8")
    path.write_bytes(body + b"#" * (MAX_BYTES - len(body) - 1) + b"\n")

    assert load_path(path).site.name == "Atelier Bleu"


def test_it_accepts_the_byte_order_mark_of_windows_editors(tmp_path, draft):
    path = tmp_path / "gardien.toml"
    path.write_bytes(b"\xef\xbb\xbf" + draft.text.encode("utf-8"))

    assert load_path(path).controller.name == "Atelier Bleu"


def test_it_keeps_the_lines_of_a_file_with_a_byte_order_mark(tmp_path, draft):
    draft.replace('country = "FR"', 'country = "France"')
    path = tmp_path / "gardien.toml"
    path.write_bytes(b"\xef\xbb\xbf" + draft.text.encode("utf-8"))

    (problem,) = problems_of(path)

    assert problem.line == draft.line_of('country = "France"')


def test_it_names_the_file_in_every_problem(tmp_path, draft):
    draft.replace('email = "dpo@atelier-bleu.example"', 'email = "nobody"')
    path = tmp_path / "site" / "gardien.toml"
    path.parent.mkdir()
    path.write_text(draft.text, encoding="utf-8")

    with pytest.raises(ManifestError) as caught:
        load_path(path)

    assert caught.value.filename == str(path)
    assert caught.value.lines() == [
        f'{path}:{draft.line_of("nobody")}: [dpo]: email "nobody" is not an email address; '
        'write e.g. "dpo@example.org"'
    ]


def test_it_lists_every_missing_section_of_an_empty_file(tmp_path):
    path = tmp_path / "gardien.toml"
    path.write_bytes(b"")

    problems = problems_of(path)

    assert {p.line for p in problems} == {1}
    assert [p.message for p in problems] == [
        "activities is missing; add at least one [[activities]] table",
        *(
            f"the [{section}] section is missing; add it (see examples/coopo/gardien.toml)"
            for section in ("authority", "controller", "cookies", "dpo", "policy", "rights", "site")
        ),
    ]


def test_it_says_when_the_file_cannot_be_read(tmp_path):
    path = tmp_path / "gardien.toml"
    path.symlink_to(path)  # a link to itself: the system refuses to follow it

    (problem,) = problems_of(path)

    assert problem.line == 1
    assert problem.message.startswith("cannot be read (")
