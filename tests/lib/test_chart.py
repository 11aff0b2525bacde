"""The back office's bar charts: labels that neither overlap nor leave the drawing, an axis
that shows the highest value, zero columns still seen when asked, every text escaped,
stacked segments that add up to their column."""

from __future__ import annotations

import datetime as dt
import itertools
import xml.etree.ElementTree as ET

import pytest

from gardien.lib.chart import FONT_SIZE, Column, bars, text_width

NS = "{http://www.w3.org/2000/svg}"
GREEN, BLUE, OCHRE, GREY = "#1a7f37", "#0b5cad", "#9a6700", "#8c959f"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def days(count: int, values: list[int] | None = None) -> list[Column]:
    start = dt.date(2026, 11, 1)
    return [
        Column(
            label=f"{start + dt.timedelta(days=i):%d/%m}",
            segments=[((values or [i])[i % len(values or [i])], BLUE)],
            tooltip=f"day {i}",
        )
        for i in range(count)
    ]


def size(root: ET.Element) -> tuple[float, float]:
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert (float(root.attrib["width"]), float(root.attrib["height"])) == (width, height)
    return width, height


def below_labels(root: ET.Element) -> list[tuple[float, float, str]]:
    """The labels under the bars, as (left edge, right edge, text), from left to right."""
    found = []
    for text in root.iter(f"{NS}text"):
        if text.attrib["text-anchor"] != "middle":
            continue
        x, half = float(text.attrib["x"]), text_width(text.text or "", FONT_SIZE) / 2
        found.append((x - half, x + half, text.text or ""))
    return sorted(found)


def axis_labels(root: ET.Element) -> list[tuple[float, float, str]]:
    """The values of the y axis, as (left edge, baseline, text)."""
    return [
        (float(t.attrib["x"]) - text_width(t.text or ""), float(t.attrib["y"]), t.text or "")
        for t in root.iter(f"{NS}text")
        if t.attrib["text-anchor"] == "end"
    ]


def rects(group: ET.Element) -> list[tuple[float, float, float, float, str]]:
    return [
        (
            float(r.attrib["x"]),
            float(r.attrib["y"]),
            float(r.attrib["width"]),
            float(r.attrib["height"]),
            r.attrib["fill"],
        )
        for r in group.iter(f"{NS}rect")
    ]


@pytest.mark.parametrize("count", [1, 2, 3, 7, 8, 30, 31, 90, 365])
@pytest.mark.parametrize("width", [320, 640, 720])
def test_the_labels_never_overlap_stay_inside_and_the_last_is_always_shown(count, width):
    columns = days(count)
    root = parse(bars(columns, title="Per day", width=width))
    chart_width, _ = size(root)
    labels = below_labels(root)
    assert labels, "no label"
    assert labels[-1][2] == columns[-1].label
    for left, right, text in labels:
        assert left >= 0 and right <= chart_width, text
    for (_, right, a), (left, _, b) in itertools.pairwise(labels):
        assert right <= left, f"{a} overlaps {b}"
    assert len(labels) <= 9
    if count >= 30 and width >= 640:
        assert len(labels) >= 4  # not only the last one


def test_labels_of_different_widths_keep_apart_and_inside():
    columns = [
        Column(label=("a long label" if i % 3 == 0 else "x"), segments=[(i, BLUE)])
        for i in range(40)
    ]
    columns.append(Column(label="the very last label", segments=[(1, BLUE)]))
    root = parse(bars(columns, title="Mixed"))
    width, _ = size(root)
    labels = below_labels(root)
    assert labels[-1][2] == "the very last label"
    assert labels[0][0] >= 0 and labels[-1][1] <= width
    for (_, right, a), (left, _, b) in itertools.pairwise(labels):
        assert right <= left, f"{a} overlaps {b}"


def test_the_maximum_and_zero_are_on_the_axis_and_fit_on_the_left():
    columns = days(10, [3, 123_456_789, 0, 7])
    root = parse(bars(columns, title="Rows"))
    axis = axis_labels(root)
    texts = {text for _, _, text in axis}
    assert texts == {"0", "123456789"}
    for left, _, text in axis:
        assert left >= 0, text
    # The highest is drawn at the top of the plot, 0 at its base: the tallest bar spans it.
    baseline = {text: y for _, y, text in axis}
    tallest = max((r for g in root.iter(f"{NS}g") for r in rects(g)), key=lambda r: r[3])
    assert tallest[1] == pytest.approx(baseline["123456789"] - 4, abs=0.1)
    assert tallest[1] + tallest[3] == pytest.approx(baseline["0"], abs=0.1)


def test_a_fractional_maximum_is_written_shortly():
    root = parse(bars([Column("a", [(2.5, BLUE)]), Column("b", [(1 / 3, BLUE)])], title="x"))
    assert {t for _, _, t in axis_labels(root)} == {"0", "2.5"}


def test_an_empty_chart_still_draws_its_axis():
    root = parse(bars([], title="Nothing yet"))
    assert root.find(f"{NS}title").text == "Nothing yet"  # type: ignore[union-attr]
    assert [t for _, _, t in axis_labels(root)] == ["0"]
    assert not list(root.iter(f"{NS}rect"))


def test_zero_columns_show_when_asked_and_not_otherwise():
    columns = [
        Column("01/11", [(0, GREY)], "nothing", min_height=1.5),
        Column("02/11", [(1_000_000, BLUE)], "a lot", min_height=1.5),
        Column("03/11", [(1, BLUE)], "one", min_height=1.5),
        Column("04/11", [(0, GREY)], "nothing, not shown"),
    ]
    root = parse(bars(columns, title="Runs"))
    groups = list(root.iter(f"{NS}g"))
    titles = [g.find(f"{NS}title").text for g in groups]  # type: ignore[union-attr]
    assert titles == ["nothing", "a lot", "one"]  # the last column is not drawn at all
    zero, _, one = (rects(g) for g in groups)
    assert len(zero) == 1 and zero[0][3] == pytest.approx(1.5, abs=0.05) and zero[0][4] == GREY
    assert len(one) == 1 and one[0][3] == pytest.approx(1.5, abs=0.05) and one[0][4] == BLUE
    assert [t for *_, t in below_labels(root)][-1] == "04/11"  # its label still is


def test_a_chart_of_only_zeros_shows_every_column_asked_and_no_maximum():
    columns = [Column(f"{i:02}/11", [(0, GREY)], min_height=1.5) for i in range(1, 6)]
    root = parse(bars(columns, title="Runs"))
    assert [t for _, _, t in axis_labels(root)] == ["0"]
    assert len(list(root.iter(f"{NS}rect"))) == 5


def test_stacked_segments_add_up_to_the_column_and_sit_on_each_other():
    columns = [
        Column("25/11", [(0, GREEN), (1, BLUE), (1, OCHRE)]),
        Column("26/11", [(1, GREEN), (0, BLUE), (0, OCHRE)]),
        Column("27/11", [(7, GREEN), (3, BLUE), (13, OCHRE)]),
        Column("28/11", [(0, GREEN), (0, BLUE), (0, OCHRE)]),
    ]
    root = parse(bars(columns, title="Choices"))
    axis = {text: y for _, y, text in axis_labels(root)}
    assert axis.keys() == {"0", "23"}
    base, top = axis["0"], axis["23"] - 4
    per_unit = (base - top) / 23
    groups = list(root.iter(f"{NS}g"))
    assert len(groups) == 3  # an empty day is not drawn at all
    for group, column in zip(groups, columns, strict=False):
        drawn = rects(group)
        # Bottom up, in the order given, zero segments left out.
        assert [r[4] for r in drawn] == [colour for value, colour in column.segments if value]
        assert drawn[0][1] + drawn[0][3] == pytest.approx(base, abs=0.05)
        for lower, upper in itertools.pairwise(drawn):
            assert upper[1] + upper[3] == pytest.approx(lower[1], abs=0.05)
            assert upper[0] == lower[0] and upper[2] == lower[2]
        assert sum(r[3] for r in drawn) == pytest.approx(column.total * per_unit, abs=0.1)
        for (*_, h, colour), (value, _) in zip(
            drawn, [s for s in column.segments if s[0]], strict=True
        ):
            assert h == pytest.approx(value * per_unit, abs=0.1), colour


def test_bars_stay_inside_the_drawing_and_do_not_overlap():
    root = parse(bars(days(365, [5, 9, 0, 2]), title="A year"))
    width, height = size(root)
    drawn = sorted(r for g in root.iter(f"{NS}g") for r in rects(g))
    for x, y, w, h, _ in drawn:
        assert x >= 0 and x + w <= width and y >= 0 and y + h <= height
    for a, b in itertools.pairwise(drawn):
        assert a[0] + a[2] <= b[0] + 0.05


HOSTILE = '</text><script>alert("x")</script><a href="https://evil.example/">&amp;\' '


def test_every_text_is_escaped():
    columns = [
        Column("ok", [(1, '"/><script>x</script>')], tooltip="fine"),
        Column(HOSTILE, [(3, BLUE)], tooltip=HOSTILE),  # the last label is always shown
    ]
    svg = bars(columns, title=HOSTILE, css_class='c" onload="x')
    assert "<script" not in svg and "<a " not in svg
    root = parse(svg)  # well-formed, so nothing broke out of its element
    assert root.attrib["aria-label"] == HOSTILE
    assert root.attrib["class"] == 'c" onload="x'
    assert root.find(f"{NS}title").text == HOSTILE  # type: ignore[union-attr]
    first, second = root.iter(f"{NS}g")
    assert rects(first)[0][4] == '"/><script>x</script>'
    assert second.find(f"{NS}title").text == HOSTILE  # type: ignore[union-attr]
    assert HOSTILE in [t.text for t in root.iter(f"{NS}text")]
    tags = {element.tag.removeprefix(NS) for element in root.iter()}
    assert tags <= {"svg", "title", "line", "text", "g", "rect"}


def test_it_is_an_image_with_a_name_and_nothing_from_elsewhere_no_script_no_style():
    svg = bars(days(30), title="Choices per day")
    root = parse(svg)
    assert root.attrib["role"] == "img"
    assert root.attrib["aria-label"] == "Choices per day"
    assert root.find(f"{NS}title").text == "Choices per day"  # type: ignore[union-attr]
    assert "style" not in svg and "<script" not in svg and "href" not in svg
    assert svg.count("http") == 1  # the SVG namespace only
    for element in root.iter():
        assert not any(name.startswith("on") for name in element.attrib)


def test_a_negative_or_not_finite_value_is_refused():
    with pytest.raises(ValueError):
        bars([Column("a", [(-1, BLUE)])], title="x")
    with pytest.raises(ValueError):
        bars([Column("a", [(float("nan"), BLUE)])], title="x")
