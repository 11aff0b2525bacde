"""No client address anywhere: page views sent from known addresses (directly and behind a
proxy), then every table of the database dumped and every log line captured, and neither the
addresses nor their networks (/24, /64) appear in them."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test import override_settings

from gardien.audience.models import PageView
from tests.audience.conftest import ORIGIN, VISITOR, view_body

IPV4 = "198.51.100.77"
IPV6 = "2001:db8:85a3:1234:5678:8a2e:370:7334"
# The addresses and the text forms of their networks.
FORBIDDEN = [IPV4, "198.51.100.", "198.51.100.0", "198-51-100", IPV6, "2001:db8:85a3:1234"]


def dump() -> str:
    """Every row of every table, as text."""
    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            lines.extend(f"{table}: {row!r}" for row in cursor.fetchall())
    return "\n".join(lines)


@pytest.mark.django_db(transaction=True)
@override_settings(GARDIEN_BEHIND_PROXY=True, GARDIEN_AUDIENCE_RATE_LIMIT="4/60")
def test_no_address_is_stored_nor_logged(published, post_view, caplog, capfd):
    # Every logger at its most talkative, Django's request log (4xx answers) included.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.request")
    for n in range(6):  # the last ones are throttled (429, logged as a warning)
        post_view(view_body(url=f"{ORIGIN}/p{n}"), address=IPV4, keep_test_connection=False)
        post_view(
            view_body(url=f"{ORIGIN}/q{n}", visitor=VISITOR),
            address="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.0.0.1, {IPV6}",
            keep_test_connection=False,
        )
    post_view(view_body(url="https://evil.example/"), address=IPV4, keep_test_connection=False)
    post_view(b"{", address=IPV4, keep_test_connection=False)

    assert PageView.objects.count() == 8  # 4 per address, then the limit
    everything = dump() + caplog.text + "".join(capfd.readouterr())
    assert "/p0" in everything  # the dump is real
    for text in FORBIDDEN:
        assert text not in everything, text
