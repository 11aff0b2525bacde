"""The honeypot: a field people leave empty, hidden from sight and from the keyboard."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from gardien.antispam import honeypot


@pytest.mark.parametrize(
    ("data", "filled"),
    [
        ({}, False),
        ({"website_url": ""}, False),
        ({"website_url": "  "}, False),
        ({"website_url": "https://cheap-pills.example"}, True),
        ({"website_url": "x", "message": "Bonjour"}, True),
    ],
)
def test_it_says_whether_the_field_was_filled(data, filled):
    assert honeypot.honeypot_filled(data) is filled


def test_the_snippet_renders_the_field_hidden_and_out_of_the_tab_order():
    html = render_to_string("antispam/honeypot.html")
    (field,) = re.findall(r"<input[^>]*>", html)
    assert f'name="{honeypot.FIELD}"' in field
    assert 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field
    assert 'value=""' in field
    assert '<div class="visually-hidden">' in html
    assert 'for="id_website_url"' in html and 'id="id_website_url"' in field


def test_the_snippet_takes_another_id_for_a_second_form():
    html = render_to_string("antispam/honeypot.html", {"honeypot_id": "newsletter-website"})
    assert 'for="newsletter-website"' in html and 'id="newsletter-website"' in html


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("en", "Leave this field empty: it is there to catch spam robots."),
        ("fr", "Laissez ce champ vide : il sert à repérer les robots de spam."),
    ],
)
def test_the_label_asks_screen_reader_users_to_leave_it_empty(language, label):
    with translation.override(language):
        assert label in render_to_string("antispam/honeypot.html")
