"""[audience]: Gardien's own audience measurement, refused outside the CNIL's exemption."""

from __future__ import annotations

AUDIENCE_ACTIVITY = """
[[activities]]
id = "audience"
name = { fr = "Mesure d'audience", en = "Audience measurement" }
purpose = { fr = "Mesurer la fréquentation.", en = "To measure the traffic." }
legal_basis = "legitimate_interest"
legitimate_interest = { fr = "Administrer le site.", en = "Running the site." }
data_subjects = [{ fr = "Visiteurs", en = "Visitors" }]
retention = "RETENTION"

  [[activities.fields]]
  name = "pages_viewed"
  label = { fr = "Pages consultées", en = "Pages viewed" }
  categories = ["user.behavior.browsing_history"]
  required = false
  input = "generated"
"""
PURPOSE = '  consent = "exempt_with_opt_out"\n'


def with_audience(draft, section: str, retention: str = "25 months after collected"):
    """The small manifest with an audience activity, its purpose linked to it, and
    ``section`` as its [audience] table."""
    draft.replace(
        "[[processors]]", AUDIENCE_ACTIVITY.replace("RETENTION", retention) + "\n[[processors]]"
    )
    draft.replace(PURPOSE, PURPOSE + '  activity = "audience"\n')
    return draft.append("\n[audience]\n" + section)


def test_without_a_section_gardien_measures_nothing(draft):
    assert draft.load().audience is None


def test_the_audience_runs_under_an_exempt_purpose(draft):
    with_audience(draft, 'purpose = "audience"\nquery_parameters = ["page"]\n')

    audience = draft.load().audience

    assert audience is not None
    assert (audience.purpose, audience.query_parameters) == ("audience", ["page"])
    assert audience.unique_visitors is False


def test_an_unknown_purpose_is_refused(draft):
    with_audience(draft, 'purpose = "stats"\n')

    message = draft.problem().message

    assert 'purpose "stats" is not a declared cookie purpose' in message
    assert "audience, necessary, tracking" in message


def test_a_purpose_needing_consent_is_outside_the_exemption(draft):
    with_audience(draft, 'purpose = "tracking"\n')

    messages = [p.message for p in draft.problems()]

    assert any('must have consent = "exempt_with_opt_out"' in m for m in messages)


def test_page_views_kept_longer_than_25_months_are_refused(draft):
    with_audience(draft, 'purpose = "audience"\n', retention="26 months after collected")

    message = draft.problem().message

    assert "26 months after collected" in message and "25 months" in message


def test_page_views_must_be_kept_for_a_period_after_collection(draft):
    with_audience(draft, 'purpose = "audience"\n', retention="3 years after last_contact")

    assert 'retention = "25 months after collected"' in draft.problem().message


def test_unique_visitors_need_their_identifier_declared_in_local_storage(draft):
    with_audience(draft, 'purpose = "audience"\nunique_visitors = true\n')

    message = draft.problem().message

    assert 'name = "gardien_vid", storage = "local_storage"' in message


def test_unique_visitors_with_their_identifier_declared_load(draft):
    with_audience(draft, 'purpose = "audience"\nunique_visitors = true\nvisitor_key = "vid"\n')
    draft.replace(
        '{ name = "visitor", lifetime = "13 months",',
        '{ name = "vid", storage = "local_storage", lifetime = "13 months",',
    )

    audience = draft.load().audience

    assert audience is not None and audience.unique_visitors and audience.visitor_key == "vid"


def test_a_query_parameter_is_a_plain_name(draft):
    with_audience(draft, 'purpose = "audience"\nquery_parameters = ["a b"]\n')

    assert "query_parameters" in draft.problem().message or "a b" in draft.problem().message
