"""WCAG 2.2 contrast: known pairs give the ratios the criterion's own examples give."""

from __future__ import annotations

import pytest

from gardien.lib.contrast import contrast_ratio, darker, normalised, relative_luminance


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000", "#fff", 21.0),
        ("#777", "#fff", 4.48),  # the grey just too light for text
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes on white
        ("#595959", "#ffffff", 7.0),  # level AAA
        ("#1d3d6b", "#ffffff", 10.87),
        ("#ffffff", "#ffffff", 1.0),
    ],
)
def test_known_pairs(first, second, ratio):
    assert round(contrast_ratio(first, second), 2) == ratio
    assert contrast_ratio(second, first) == contrast_ratio(first, second)


def test_the_thresholds_pass_and_fail_where_wcag_says():
    assert contrast_ratio("#777777", "#ffffff") < 4.5 <= contrast_ratio("#767676", "#ffffff")
    assert contrast_ratio("#959595", "#ffffff") < 3 <= contrast_ratio("#949494", "#ffffff")


def test_luminance_runs_from_black_to_white():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    # Green weighs most, blue least.
    assert relative_luminance("#00ff00") > relative_luminance("#ff0000")
    assert relative_luminance("#ff0000") > relative_luminance("#0000ff")


def test_both_linearisation_thresholds_agree_on_every_8_bit_value():
    # WCAG 2.0/2.1 wrote 0.03928, the sRGB standard and WCAG 2.2 write 0.04045.
    assert not [c for c in range(256) if 0.03928 < c / 255 <= 0.04045]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("#1D3D6B", "#1d3d6b"),
        ("#fff", "#ffffff"),
        ("#AbC", "#aabbcc"),
        ("1d3d6b", None),
        ("#1d3d6", None),
        ("#ggg", None),
        ("#1d3d6b00", None),
        ("blue", None),
        ("", None),
    ],
)
def test_colours_are_written_as_rgb_or_rrggbb(given, expected):
    assert normalised(given) == expected


def test_darker_keeps_the_hue_and_ends_at_black():
    assert darker("#8040ff", 16) == "#402080"
    assert darker("#8040ff", 32) == "#000000"
    assert darker("#8040ff", 0) == "#8040ff"


def test_a_malformed_colour_has_no_luminance():
    with pytest.raises(ValueError, match="not a #rgb or #rrggbb colour"):
        relative_luminance("navy")
