"""Line numbers: a problem points at the line an editor shows, whatever the TOML layout."""

from __future__ import annotations

from gardien.manifest.loader import Problem
from gardien.manifest.locate import Locator


def test_it_finds_keys_headers_and_arrays_of_tables():
    locator = Locator(
        'title = "x"\n'
        "\n"
        "[owner]\n"
        'name = "Ada"\n'
        "\n"
        "[[items]]\n"
        'id = "a"\n'
        "  [[items.parts]]\n"
        '  id = "a1"\n'
        "[[items]]\n"
        'id = "b"\n'
        "  [[items.parts]]\n"
        '  id = "b1"\n'
    )

    assert locator.line_of(("title",)) == 1
    assert locator.line_of(("owner",)) == 3
    assert locator.line_of(("owner", "name")) == 4
    assert locator.line_of(("items", 0, "id")) == 7
    assert locator.line_of(("items", 0, "parts", 0, "id")) == 9
    assert locator.line_of(("items", 1)) == 10
    assert locator.line_of(("items", 1, "parts", 0, "id")) == 13


def test_it_falls_back_to_the_nearest_known_parent_then_to_line_one():
    locator = Locator('[owner]\nname = "Ada"\n')

    assert locator.line_of(("owner", "email")) == 1
    assert locator.line_of(("owner", "name", "fr")) == 2
    assert locator.line_of(("nowhere", 3)) == 1
    assert locator.line_of(()) == 1


def test_it_numbers_array_elements_that_share_a_line():
    locator = Locator('tags = [\n  "a", "b",\n  "c",\n]\nnext = 1\n')

    assert [locator.line_of(("tags", i)) for i in range(3)] == [2, 2, 3]
    assert locator.line_of(("next",)) == 5


def test_it_numbers_elements_that_start_on_the_key_line():
    locator = Locator('tags = ["a", "b",\n  "c"]\n')

    assert [locator.line_of(("tags", i)) for i in range(3)] == [1, 1, 2]


def test_it_ignores_commas_and_brackets_inside_strings_and_comments():
    locator = Locator(
        "tags = [\n"
        '  "a, [b]",  # a comment, with [brackets\n'
        "  'c]',\n"
        '  { name = "d", note = "}, {" },\n'
        "]\n"
        "after = 1\n"
    )

    assert [locator.line_of(("tags", i)) for i in range(3)] == [2, 3, 4]
    assert locator.line_of(("tags", 2, "note")) == 4
    assert locator.line_of(("after",)) == 6


def test_it_skips_what_looks_like_toml_inside_a_multiline_string():
    locator = Locator(
        '[owner]\naddress = """\n[not a table]\nemail = not a key\n"""\nemail = "ada@example.org"\n'
    )

    assert locator.line_of(("owner", "email")) == 6
    assert ("not a table",) not in locator.lines


def test_it_counts_only_newlines_as_line_ends(draft):
    draft.replace(
        "schema_version = 1", "schema_version = 1\n# Unicode breaks: \u2028, \u2029, \x85"
    )
    draft.replace('name = "Atelier Bleu"\naddress', 'name = "Atelier\u2028Bleu"\naddress')
    draft.replace(
        'retention = "3 years after last_contact"', 'retention = "3 yeras after last_contact"'
    )

    assert draft.problem().line == draft.line_of("3 yeras") == 44


def test_it_gives_the_same_lines_with_windows_line_ends(draft):
    draft.replace('country = "FR"', 'country = "France"')
    line = draft.line_of('country = "France"')
    draft.text = draft.text.replace("\n", "\r\n")

    assert draft.problem().line == line


def test_it_points_at_a_problem_after_a_multiline_string(draft):
    draft.replace(
        'address = "12 rue des Lilas, 69001 Lyon, France"',
        'address = """\n12 rue des Lilas\n[Lyon]\nemail = "here"\n"""',
    )
    draft.replace('email = "contact@atelier-bleu.example"', 'email = "contact"')

    assert draft.problem() == Problem(
        draft.line_of('email = "contact"'),
        '[controller]: email "contact" is not an email address; write e.g. "dpo@example.org"',
    )


def test_it_points_at_the_element_of_a_wrapped_list(draft):
    draft.replace(
        'receives = ["user.contact.email", "user.content.private"]',
        'receives = [\n  "user.contact.email", "user.content.private",\n  "user.name",\n]',
    )

    problem = draft.problem()

    assert problem.line == draft.line_of('"user.name"')
    assert problem.message.startswith('processor "mailer": receives "user.name"')


def test_it_points_at_the_cookie_of_a_multiline_list(draft):
    draft.replace(
        '    { name = "mailer_uid", lifetime = "6 months"',
        '    { name = "ref", lifetime = "1 month", description = { fr = "R.", en = "R." } },\n'
        '    { name = "mailer_uid", lifetime = "14 months"',
    )

    problem = draft.problem()

    assert problem.line == draft.line_of('lifetime = "14 months"')
    assert problem.message.startswith('cookie service "tracker", cookie "mailer_uid": lifetime')
