"""[cookies.theme]: the banner's colours, refused when some visitors could not read them."""

from __future__ import annotations

import pytest

from gardien.manifest import content_hash

LIFETIME = 'choice_lifetime = "12 months"\n'


def with_theme(draft, *lines: str):
    """The small manifest with a [cookies.theme] table right after choice_lifetime."""
    return draft.replace(LIFETIME, LIFETIME + "\n  [cookies.theme]\n" + "".join(lines))


def test_without_a_theme_the_banner_keeps_its_own_colours(draft):
    manifest = draft.load()

    assert manifest.cookies.theme is None
    # A manifest without one keeps the content hash it was published under.
    assert "theme" not in manifest.model_dump(mode="json")["cookies"]


def test_a_readable_pair_loads_normalised(draft):
    with_theme(draft, '  brand = "#1D3D6B"\n', '  on_brand = "#FFF"\n')

    theme = draft.load().cookies.theme

    assert theme is not None
    assert (theme.brand, theme.on_brand) == ("#1d3d6b", "#ffffff")


def test_the_text_is_white_unless_said(draft):
    with_theme(draft, '  brand = "#767676"\n')

    theme = draft.load().cookies.theme

    assert theme is not None and theme.on_brand == "#ffffff"


def test_dark_text_on_a_light_brand_that_stands_out_from_white_loads(draft):
    with_theme(draft, '  brand = "#d35400"\n', '  on_brand = "#000"\n')

    assert draft.load().cookies.theme is not None


def test_a_new_colour_is_a_new_manifest(draft, valid_text):
    from gardien.manifest import load_text

    with_theme(draft, '  brand = "#1d3d6b"\n')

    assert content_hash(draft.load()) != content_hash(load_text(valid_text))


def test_text_below_4_5_to_1_on_the_buttons_is_refused(draft):
    with_theme(draft, '  brand = "#777"\n')

    problem = draft.problem()

    assert problem.line == draft.line_of('brand = "#777"')
    assert problem.message == (
        '[cookies]: the buttons\' text "#ffffff" on the brand colour "#777777" has a '
        "contrast ratio of 4.48:1; WCAG 2.2 success criterion 1.4.3 (Contrast, level AA) "
        "needs at least 4.5:1 for their 16 px bold text. "
        'Choose a darker brand colour, e.g. brand = "#737373"'
    )


def test_a_text_colour_too_close_to_the_brand_is_reported_on_its_own_line(draft):
    with_theme(draft, '  brand = "#555555"\n', '  on_brand = "#666666"\n')

    problem = draft.problem()

    assert problem.line == draft.line_of('on_brand = "#666666"')
    assert '"#666666" on the brand colour "#555555"' in problem.message
    assert "1.30:1" in problem.message
    assert problem.message.endswith('Choose another text colour: on_brand = "#ffffff"')


def test_a_brand_colour_that_fades_into_the_white_banner_is_refused(draft):
    # Black text on yellow reads well, but yellow buttons and switches vanish on white.
    with_theme(draft, '  brand = "#ffcc00"\n', '  on_brand = "#000000"\n')

    problem = draft.problem()

    assert problem.line == draft.line_of('brand = "#ffcc00"')
    assert problem.message.startswith(
        '[cookies]: the brand colour "#ffcc00" against the banner\'s white background '
        '"#ffffff" has a contrast ratio of 1.51:1; WCAG 2.2 success criterion 1.4.11 '
        "(Non-text Contrast, level AA) needs at least 3:1"
    )
    assert 'e.g. brand = "#8f7300", on_brand = "#ffffff"' in problem.message


def test_a_pale_brand_fails_both_criteria_at_once(draft):
    with_theme(draft, '  brand = "#a0c4ff"\n')

    messages = [p.message for p in draft.problems()]

    assert len(messages) == 2
    assert any("1.4.3" in m and "1.77:1" in m for m in messages)
    assert any("1.4.11" in m and "1.77:1" in m for m in messages)


def test_every_suggested_colour_passes(draft):
    from gardien.lib.contrast import contrast_ratio

    with_theme(draft, '  brand = "#a0c4ff"\n')
    suggested = draft.problems()[0].message.rsplit('brand = "', 1)[1][:7]

    assert contrast_ratio(suggested, "#ffffff") >= 4.5


@pytest.mark.parametrize("colour", ["blue", "1d3d6b", "#1d3d6", "#12345g", "#1d3d6bff"])
def test_a_malformed_colour_says_how_to_write_one(draft, colour):
    with_theme(draft, f'  brand = "{colour}"\n')

    problem = draft.problem()

    assert problem.line == draft.line_of(f'brand = "{colour}"')
    assert problem.message == (
        f'[cookies]: theme.brand "{colour}" is not a colour; write "#" and six hexadecimal '
        'digits, e.g. "#1d3d6b" (or three, e.g. "#fff")'
    )


def test_a_malformed_text_colour_is_named_too(draft):
    with_theme(draft, '  brand = "#1d3d6b"\n', '  on_brand = "white"\n')

    assert draft.problem().message.startswith('[cookies]: theme.on_brand "white" is not a colour')


def test_a_theme_needs_its_brand_colour(draft):
    with_theme(draft, '  on_brand = "#ffffff"\n')

    assert draft.problem().message == (
        '[cookies]: theme.brand is missing; add brand = "#1d3d6b" (the colour of the '
        "banner's buttons)"
    )


def test_an_unknown_key_is_refused_with_its_likely_spelling(draft):
    with_theme(draft, '  brand = "#1d3d6b"\n', '  on_brnd = "#ffffff"\n')

    assert 'did you mean "on_brand"?' in draft.problem().message
