"""Colour contrast as WCAG 2.2 measures it: relative luminance and contrast ratio.

The sRGB linearisation uses the threshold 0.04045 of the sRGB standard (IEC 61966-2-1),
as WCAG 2.2 now writes it; WCAG 2.0 and 2.1 wrote 0.03928. No 8-bit channel value lies
between the two (10/255 ≈ 0.0392 and 11/255 ≈ 0.0431), so for the ``#rrggbb`` colours a
manifest declares both give the same luminance, ratio and verdict.
"""

from __future__ import annotations

import re

WHITE = "#ffffff"
BLACK = "#000000"

_HEX = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$", re.IGNORECASE)


def normalised(colour: str) -> str | None:
    """``colour`` as lower-case ``#rrggbb`` when it is ``#rgb`` or ``#rrggbb``; else None."""
    if not _HEX.match(colour):
        return None
    digits = colour[1:].lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return f"#{digits}"


def _channels(colour: str) -> tuple[int, int, int]:
    found = normalised(colour)
    if found is None:
        raise ValueError(f"not a #rgb or #rrggbb colour: {colour!r}")
    return int(found[1:3], 16), int(found[3:5], 16), int(found[5:7], 16)


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """From 0 (black) to 1 (white), weighting each channel as the eye does."""
    red, green, blue = (_linear(c) for c in _channels(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """From 1 (the same luminance) to 21 (black on white), whichever colour is lighter."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)))[::-1]
    return (lighter + 0.05) / (darker + 0.05)


def darker(colour: str, step: int) -> str:
    """``colour`` with each channel scaled by ``1 - step/32``: the same hue, darker; step 32
    is black. Used to suggest a shade that passes, not to judge one."""
    factor = max(0.0, 1 - step / 32)
    return "#" + "".join(f"{round(c * factor):02x}" for c in _channels(colour))
