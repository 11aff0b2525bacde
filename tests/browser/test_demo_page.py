"""The demo site page serves without any optional script running before a choice."""

from __future__ import annotations


def test_the_demo_page_runs_nothing_optional_before_a_choice(site, page):
    page.goto(site + "/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.demoTrackerLoaded") is None
    names = {c["name"] for c in page.context.cookies()}
    assert "sib_cuid" not in names and "uuid" not in names
