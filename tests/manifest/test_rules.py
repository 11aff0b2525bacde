"""Every validation rule: a valid manifest broken in one place gives one message on one line."""

from __future__ import annotations

import pytest

from gardien.manifest import ManifestError, load_text
from gardien.manifest.loader import Problem

NEWSLETTER_FIELD = """\
  [[activities.fields]]
  name = "email"
  label = { fr = "Adresse électronique", en = "Email address" }
  categories = ["user.contact.email"]
  required = true
  input = "email"
  if_missing = { fr = "Nous ne pouvons pas vous inscrire.", en = "We cannot subscribe you." }
"""

NEWSLETTER_RETENTION = 'retention = "until consent withdrawn or 3 years after last_contact"'
CONTACT_INTEREST = (
    'legitimate_interest = { fr = "Répondre à qui nous écrit.", '
    'en = "Answering those who write to us." }\n'
)
TRANSFER = (
    'transfers = [{ recipient = "mailer", country = "US", safeguard = '
    '{ fr = "Clauses contractuelles types.", en = "Standard contractual clauses." } }]'
)
SAFEGUARDS = (
    'safeguards = { fr = "Clauses contractuelles types.", en = "Standard contractual clauses." }'
)


# --- the starting point --------------------------------------------------------------------


def test_it_loads_the_small_manifest_without_problem(draft):
    manifest = draft.load()

    assert [a.id for a in manifest.activities] == ["contact", "newsletter"]
    assert [p.id for p in manifest.processors] == ["mailer"]
    assert [p.consent for p in manifest.cookies.purposes] == [
        "not_needed",
        "exempt_with_opt_out",
        "required",
    ]


# --- TOML itself ---------------------------------------------------------------------------


def test_it_reports_a_toml_syntax_error_on_the_decoders_line(draft):
    draft.replace(
        'entity = "Mailer SAS, 1 avenue de France, 75013 Paris, France"', 'entity = "Mailer SAS'
    )

    assert draft.problem() == Problem(
        draft.line_of('entity = "Mailer SAS'),
        "this is not valid TOML (Illegal character '\\n'); check quotes, brackets and commas",
    )


def test_it_reports_an_unclosed_table_header_on_its_line(draft):
    draft.replace("[[processors]]", "[[processors]")

    problem = draft.problem()

    assert problem.line == draft.line_of("[[processors]")
    assert "Expected ']]' at the end of an array declaration" in problem.message
    assert "(at line" not in problem.message


def test_it_reports_an_error_at_the_end_of_the_document_on_the_last_line(draft):
    draft.append('note = """never closed')

    problem = draft.problem()

    assert problem.line == draft.line_of('note = """never closed')
    assert problem.message.startswith("this is not valid TOML (Unterminated string);")


def test_it_reports_a_key_given_twice_as_invalid_toml(draft):
    draft.replace('country = "FR"', 'country = "FR"\ncountry = "BE"')

    problem = draft.problem()

    assert problem.line == draft.line_of('country = "BE"')
    assert "Cannot overwrite a value" in problem.message


# --- unknown keys --------------------------------------------------------------------------


def test_it_names_an_unknown_section_and_suggests_the_right_one(draft):
    draft.replace("[rights]", "[rigths]")

    assert draft.problem() == Problem(
        draft.line_of("[rigths]"),
        'unknown key "rigths"; remove it or fix its spelling; did you mean "rights"?',
    )


def test_it_names_an_unknown_top_level_key(draft):
    draft.replace("schema_version = 1", 'schema_version = 1\nlanguage = "fr"')

    problem = draft.problem()

    assert problem.line == draft.line_of('language = "fr"')
    assert problem.message.startswith('unknown key "language"; remove it or fix its spelling')
    assert "(allowed here: activities, audience, authority, controller, cookies" in problem.message


def test_it_reports_a_misspelt_required_key_once_with_a_hint(draft):
    draft.replace('postal_address = "Atelier Bleu, DPO', 'postal_adress = "Atelier Bleu, DPO')

    assert draft.problem() == Problem(
        draft.line_of("postal_adress"),
        '[dpo]: unknown key "postal_adress"; remove it or fix its spelling; '
        'did you mean "postal_address"?',
    )


def test_it_names_an_unknown_key_in_a_nested_table(draft):
    draft.replace('  input = "textarea"', '  imput = "textarea"')

    assert draft.problem() == Problem(
        draft.line_of("imput"),
        'activity "contact", field "message": unknown key "imput"; remove it or fix its '
        'spelling; did you mean "input"?',
    )


def test_it_names_an_unknown_key_in_an_inline_table(draft):
    draft.replace(
        'dpa = { reference = "Mailer DPA"', 'dpa = { reference = "Mailer DPA", signed = true'
    )

    problem = draft.problem()

    assert problem.line == draft.line_of("signed = true")
    assert problem.message.startswith('processor "mailer": unknown key "signed"; remove it')
    assert "(allowed here: date, reference, url)" in problem.message


# --- missing parts -------------------------------------------------------------------------


def test_it_reports_a_missing_section(draft):
    draft.remove(
        '[dpo]\nemail = "dpo@atelier-bleu.example"\n'
        'postal_address = "Atelier Bleu, DPO, 12 rue des Lilas, 69001 Lyon, France"\n'
    )

    assert draft.problem() == Problem(
        1, "the [dpo] section is missing; add it (see examples/coopo/gardien.toml)"
    )


def test_it_reports_a_missing_key_on_its_table_header(draft):
    draft.remove('complaint_url = "https://www.cnil.fr/fr/plaintes"\n')

    assert draft.problem() == Problem(
        draft.line_of("[authority]"), "[authority]: complaint_url is missing; add complaint_url = …"
    )


def test_it_reports_a_missing_legal_basis_with_the_six_choices(draft):
    draft.remove('legal_basis = "legitimate_interest"\n')

    assert draft.problem() == Problem(
        draft.lines_of("[[activities]]")[0],
        'activity "contact": legal_basis is missing; add legal_basis = "consent" (or contract, '
        "legal_obligation, vital_interests, public_task, legitimate_interest)",
    )


def test_it_refuses_a_legal_basis_that_is_not_one_of_the_six(draft):
    draft.replace('legal_basis = "legitimate_interest"', 'legal_basis = "interest"')

    assert draft.problem() == Problem(
        draft.line_of('legal_basis = "interest"'),
        'activity "contact": legal_basis "interest" is not allowed; use one of \'consent\', '
        "'contract', 'legal_obligation', 'vital_interests', 'public_task' or "
        "'legitimate_interest'",
    )


def test_it_refuses_an_activity_with_an_empty_list_of_fields(draft):
    draft.replace(NEWSLETTER_RETENTION, NEWSLETTER_RETENTION + "\nfields = []")
    draft.remove(NEWSLETTER_FIELD)

    assert draft.problem() == Problem(
        draft.line_of("fields = []"),
        'activity "newsletter": fields is empty; it needs at least one entry',
    )


def test_it_refuses_an_activity_without_fields(draft):
    draft.remove(NEWSLETTER_FIELD)

    assert draft.problem() == Problem(
        draft.lines_of("[[activities]]")[1],
        'activity "newsletter": fields is missing; add at least one [[activities.fields]] table',
    )


def test_it_reports_a_missing_retention(draft):
    draft.remove('retention = "3 years after last_contact"\n')

    assert draft.problem() == Problem(
        draft.lines_of("[[activities]]")[0],
        'activity "contact": retention is missing; add retention = "3 years after last_contact"',
    )


def test_it_reports_missing_activities(draft):
    draft.text = (
        draft.text[: draft.text.index("[[activities]]")]
        + draft.text[draft.text.index("[cookies]") :]
    )
    draft.remove('  activity = "newsletter"\n')
    draft.remove('  provider = "mailer"\n').replace('party = "third"', 'party = "first"')

    assert draft.problem() == Problem(
        1, "activities is missing; add at least one [[activities]] table"
    )


# --- retention -----------------------------------------------------------------------------


def test_it_explains_a_misspelt_retention_unit(draft):
    draft.replace(NEWSLETTER_RETENTION, 'retention = "3 yeras after last_contact"')

    assert draft.problem() == Problem(
        draft.line_of("3 yeras"),
        'activity "newsletter": retention "3 yeras after last_contact" is not a duration; '
        'write e.g. "3 years after last_contact"',
    )


def test_it_lists_the_anchors_when_one_is_unknown(draft):
    draft.replace(
        'retention = "3 years after last_contact"', 'retention = "3 years after birthday"'
    )

    assert draft.problem() == Problem(
        draft.line_of("birthday"),
        'activity "contact": retention "3 years after birthday": "birthday" is not a moment '
        "Gardien records; after one of: last_contact, given, collected, created, recorded, "
        "request closed, withdrawn, unsubscribed, account closed",
    )


def test_it_lists_the_events_when_an_until_event_is_unknown(draft):
    draft.replace(
        NEWSLETTER_RETENTION, 'retention = "until tomorrow or 3 years after last_contact"'
    )

    problem = draft.problem()

    assert problem.line == draft.line_of("until tomorrow")
    assert problem.message.startswith(
        'activity "newsletter": retention "until tomorrow or 3 years after last_contact": '
        '"until tomorrow" is not an event Gardien records; use one of "until consent withdrawn", '
    )


def test_it_checks_the_retention_of_a_record(draft):
    draft.replace(
        NEWSLETTER_FIELD,
        NEWSLETTER_FIELD + "\n  [[activities.records]]\n"
        '  id = "pending"\n'
        '  what = { fr = "Inscriptions non confirmées", en = "Unconfirmed sign-ups" }\n'
        '  retention = "0 days after created"\n',
    )

    assert draft.problem() == Problem(
        draft.line_of("0 days after created"),
        'activity "newsletter", record "pending": retention "0 days after created" is not a '
        'duration; write e.g. "3 years after last_contact"',
    )


# --- legal bases ---------------------------------------------------------------------------


def test_it_asks_how_consent_is_recorded(draft):
    draft.remove('consent_recorded_by = "double_opt_in"\n')

    assert draft.problem() == Problem(
        draft.line_of('legal_basis = "consent"'),
        'activity "newsletter": the legal basis is consent, so say how consent is recorded: add '
        'consent_recorded_by = "banner", "double_opt_in" or "form_checkbox"',
    )


def test_it_refuses_a_consent_based_retention_that_ignores_withdrawal(draft):
    draft.replace(NEWSLETTER_RETENTION, 'retention = "3 years after last_contact"')

    assert draft.problem() == Problem(
        draft.lines_of('retention = "3 years after last_contact"')[1],
        'activity "newsletter": retention "3 years after last_contact" ignores withdrawal; a '
        "consent-based activity keeps data only until consent withdrawn, e.g. "
        '"until consent withdrawn or 3 years after last_contact"',
    )


def test_it_does_not_count_a_delay_after_withdrawal_as_stopping_at_withdrawal(draft):
    draft.replace(NEWSLETTER_RETENTION, 'retention = "3 years after withdrawn"')

    problem = draft.problem()

    assert problem.line == draft.line_of("3 years after withdrawn")
    assert 'retention "3 years after withdrawn" ignores withdrawal' in problem.message


def test_it_reads_withdrawal_in_any_letter_case(draft):
    draft.replace(
        NEWSLETTER_RETENTION, 'retention = "Until Consent WITHDRAWN or 3 years after last_contact"'
    )

    assert str(draft.load().activity("newsletter").retention) == (
        "Until Consent WITHDRAWN or 3 years after last_contact"
    )


def test_it_refuses_consent_recorded_by_on_another_legal_basis(draft):
    draft.replace(
        'legal_basis = "legitimate_interest"\n',
        'legal_basis = "legitimate_interest"\nconsent_recorded_by = "banner"\n',
    )

    assert draft.problem() == Problem(
        draft.line_of('consent_recorded_by = "banner"'),
        'activity "contact": consent_recorded_by only applies when legal_basis = "consent" '
        '(it is "legitimate_interest")',
    )


def test_it_asks_for_the_legitimate_interest_pursued(draft):
    draft.remove(CONTACT_INTEREST)

    assert draft.problem() == Problem(
        draft.line_of('legal_basis = "legitimate_interest"'),
        'activity "contact": the legal basis is legitimate interest, so name the interest '
        'pursued: add legitimate_interest = { fr = "…", en = "…" }',
    )


def test_it_asks_a_legal_obligation_to_cite_its_text(draft):
    draft.remove(CONTACT_INTEREST)
    draft.replace('legal_basis = "legitimate_interest"', 'legal_basis = "legal_obligation"')

    assert draft.problem() == Problem(
        draft.line_of('legal_basis = "legal_obligation"'),
        'activity "contact": the legal basis is legal obligation, so cite the text: add '
        'legal_basis_detail = { fr = "…", en = "…" }',
    )


def test_it_asks_a_public_task_to_cite_its_text(draft):
    draft.remove(CONTACT_INTEREST)
    draft.replace('legal_basis = "legitimate_interest"', 'legal_basis = "public_task"')

    problem = draft.problem()

    assert problem.line == draft.line_of('legal_basis = "public_task"')
    assert "the legal basis is public task, so cite the text" in problem.message


# --- recipients, processors and transfers --------------------------------------------------


def test_it_refuses_a_recipient_that_is_not_a_declared_processor(draft):
    draft.replace(
        'recipients = ["mailer"]\nretention = "3 years',
        'recipients = ["mailer", "mialer"]\nretention = "3 years',
    )

    assert draft.problem() == Problem(
        draft.line_of('"mialer"'),
        'activity "contact": recipient "mialer" is not a declared processor; add a [[processors]] '
        'entry with id = "mialer" or fix the name (declared: mailer)',
    )


def test_it_names_each_transfer_outside_the_eea_without_safeguards(draft):
    draft.replace('data_location = ["FR"]', 'data_location = ["US"]')

    line = draft.line_of('data_location = ["US"]')
    advice = (
        "; declare the safeguards (e.g. standard contractual clauses) in safeguards = { fr, en } "
        "or keep the data in the EU/EEA"
    )
    assert draft.problems() == [
        Problem(
            line,
            'processor "mailer": transfer outside the EU/EEA without safeguards: '
            'activity "contact" → processor "mailer" → US' + advice,
        ),
        Problem(
            line,
            'processor "mailer": transfer outside the EU/EEA without safeguards: '
            'activity "newsletter" → processor "mailer" → US' + advice,
        ),
    ]


def test_it_accepts_a_processor_in_the_eea_or_in_the_eu_as_a_whole(draft):
    draft.replace('data_location = ["FR"]', 'data_location = ["EU", "IE", "NO", "EEA"]')

    assert draft.load().processor("mailer").outside_eea == []


def test_it_asks_for_the_transfer_when_the_processor_has_safeguards(draft):
    draft.replace('data_location = ["FR"]', 'data_location = ["FR", "US"]\n' + SAFEGUARDS)
    transfer = TRANSFER
    draft.replace(NEWSLETTER_RETENTION, NEWSLETTER_RETENTION + "\n" + transfer)

    assert draft.problem() == Problem(
        draft.line_of('data_location = ["FR", "US"]'),
        'processor "mailer": activity "contact" sends data to processor "mailer" located in US '
        "but declares no transfer; add it to the activity's transfers so the policy states it",
    )


def test_it_accepts_a_declared_transfer_with_safeguards(draft):
    draft.replace('data_location = ["FR"]', 'data_location = ["US"]\n' + SAFEGUARDS)
    transfer = TRANSFER
    draft.replace(NEWSLETTER_RETENTION, NEWSLETTER_RETENTION + "\n" + transfer)
    draft.replace(
        'retention = "3 years after last_contact"',
        'retention = "3 years after last_contact"\n' + transfer,
    )

    manifest = draft.load()

    assert [t.country for t in manifest.activity("contact").transfers] == ["US"]
    assert manifest.processor("mailer").outside_eea == ["US"]


def test_it_refuses_a_transfer_to_a_processor_that_is_not_a_recipient(draft):
    draft.replace(
        'retention = "3 years after last_contact"',
        'retention = "3 years after last_contact"\n'
        'transfers = [{ recipient = "cloud", country = "US", '
        'safeguard = { fr = "CCT", en = "SCC" } }]',
    )

    assert draft.problem() == Problem(
        draft.line_of('recipient = "cloud"'),
        'activity "contact", transfer "cloud": transfer to "cloud", which is not one of this '
        "activity's recipients; add it to recipients or remove the transfer",
    )


def test_it_refuses_a_processor_no_activity_uses(draft):
    draft.replace(
        "[cookies]",
        '[[processors]]\nid = "spare"\nname = "Spare"\nentity = "Spare SAS, Lyon"\n'
        'service = { fr = "Rien.", en = "Nothing." }\ncountry = "FR"\ndata_location = ["FR"]\n'
        'receives = ["user.contact.email"]\ndpa = { reference = "Spare DPA", date = 2024-01-15 }\n'
        "\n[cookies]",
    )

    assert draft.problem() == Problem(
        draft.line_of('id = "spare"'),
        'processor "spare": this processor is not a recipient of any activity; add it to the '
        "recipients of the activities it serves, or remove it",
    )


def test_it_refuses_a_category_a_processor_receives_but_no_served_activity_declares(draft):
    draft.replace(
        'receives = ["user.contact.email", "user.content.private"]',
        'receives = ["user.contact.email", "user.content.private",\n  "user.contact.phone_number"]',
    )

    assert draft.problem() == Problem(
        draft.line_of('"user.contact.phone_number"]'),
        'processor "mailer": receives "user.contact.phone_number", which no activity it serves '
        "declares; declare the field in one of those activities or remove the category",
    )


def test_it_accepts_a_received_parent_category_of_a_declared_one(draft):
    draft.replace(
        'receives = ["user.contact.email", "user.content.private"]',
        'receives = ["user.contact", "user.content"]',
    )

    assert draft.load().processor("mailer").receives == ["user.contact", "user.content"]


# --- data categories -----------------------------------------------------------------------


def test_it_suggests_close_fideslang_categories_for_an_unknown_one(draft):
    draft.replace(
        'categories = ["user.content.private"]',
        'categories = ["user.content.private", "user.contact.emial"]',
    )

    problem = draft.problem()

    assert problem.line == draft.line_of("user.contact.emial")
    assert problem.message.startswith(
        'activity "contact", field "message": data category "user.contact.emial" is not in the '
        "fideslang taxonomy nor declared by the manifest; did you mean 'user.contact.email'"
    )


def test_it_tells_where_categories_come_from_when_nothing_is_close(draft):
    draft.replace(
        'categories = ["user.content.private"]', 'categories = ["user.content.private", "zzz"]'
    )

    problem = draft.problem()

    assert problem.line == draft.line_of('"zzz"')
    assert problem.message.endswith(
        "use a key of fideslang's taxonomy (e.g. 'user.contact.email') or declare it under "
        "[[taxonomy.data_categories]]"
    )


def test_it_reports_an_unknown_received_category_once(draft):
    draft.replace(
        'receives = ["user.contact.email", "user.content.private"]',
        'receives = ["user.contact.email", "user.content.privat"]',
    )

    problem = draft.problem()

    assert problem.line == draft.line_of('"user.content.privat"')
    assert problem.message.startswith(
        'processor "mailer": data category "user.content.privat" is not in the fideslang '
        "taxonomy nor declared by the manifest; did you mean 'user.content.private'"
    )


def test_it_accepts_a_category_declared_by_the_manifest(draft):
    draft.replace(
        '[[activities]]\nid = "contact"',
        "[[taxonomy.data_categories]]\n"
        'key = "user.workplace.status"\n'
        'name = { fr = "Statut professionnel", en = "Professional status" }\n'
        '\n[[activities]]\nid = "contact"',
    )
    draft.replace(
        'categories = ["user.content.private"]',
        'categories = ["user.content.private", "user.workplace.status"]',
    )

    manifest = draft.load()

    assert manifest.activity("contact").field("message").categories == [
        "user.content.private",
        "user.workplace.status",
    ]
    assert manifest.category_name("user.workplace.status", "fr") == "Statut professionnel"


def test_it_refuses_an_undeclared_extension_category(draft):
    draft.replace(
        'categories = ["user.content.private"]',
        'categories = ["user.content.private", "user.workplace.status"]',
    )

    problem = draft.problem()

    assert problem.line == draft.line_of("user.workplace.status")
    assert (
        'data category "user.workplace.status" is not in the fideslang taxonomy' in problem.message
    )


def test_it_refuses_an_extension_that_shadows_a_fideslang_category(draft):
    draft.replace(
        '[[activities]]\nid = "contact"',
        "[[taxonomy.data_categories]]\n"
        'key = "user.contact.email"\n'
        'name = { fr = "Courriel", en = "Email" }\n'
        '\n[[activities]]\nid = "contact"',
    )

    assert draft.problem() == Problem(
        draft.line_of('key = "user.contact.email"'),
        'data category "user.contact.email": "user.contact.email" already exists in fideslang; '
        "use it without declaring it",
    )


def test_it_refuses_an_extension_key_of_the_wrong_form(draft):
    draft.replace(
        '[[activities]]\nid = "contact"',
        '[[taxonomy.data_categories]]\nkey = "Status"\nname = { fr = "Statut", en = "Status" }\n'
        '\n[[activities]]\nid = "contact"',
    )

    assert draft.problem() == Problem(
        draft.line_of('key = "Status"'),
        'data category "Status": key "Status" has the wrong form; '
        'write e.g. "user.workplace.status"',
    )


# --- cookies -------------------------------------------------------------------------------


def test_it_refuses_a_consent_cookie_living_two_years(draft):
    draft.replace('lifetime = "6 months"', 'lifetime = "2 years"')

    assert draft.problem() == Problem(
        draft.line_of('lifetime = "2 years"'),
        'cookie service "tracker", cookie "mailer_uid": lifetime "2 years" is too long: a cookie '
        "placed under consent or the audience exemption may live 13 months (393 days) at most",
    )


def test_it_refuses_an_audience_cookie_over_thirteen_months(draft):
    draft.replace('lifetime = "13 months"', 'lifetime = "14 months"')

    assert draft.problem() == Problem(
        draft.line_of('lifetime = "14 months"'),
        'cookie service "stats", cookie "visitor": lifetime "14 months" is too long: a cookie '
        "placed under consent or the audience exemption may live 13 months (393 days) at most",
    )


def test_it_lets_a_necessary_cookie_live_longer(draft):
    draft.replace('lifetime = "session"', 'lifetime = "2 years"')

    assert str(draft.load().cookies.services[0].cookies[0].lifetime) == "2 years"


def test_it_refuses_a_choice_remembered_over_thirteen_months(draft):
    draft.replace('choice_lifetime = "12 months"', 'choice_lifetime = "14 months"')

    assert draft.problem() == Problem(
        draft.line_of("choice_lifetime"),
        "[cookies]: a choice is remembered 14 months, longer than the 13 months allowed; write "
        'e.g. choice_lifetime = "12 months"',
    )


def test_it_refuses_a_cookie_service_with_an_undeclared_purpose(draft):
    draft.replace('purpose = "audience"', 'purpose = "analytics"')

    assert draft.problem() == Problem(
        draft.line_of('purpose = "analytics"'),
        'cookie service "stats": purpose "analytics" is not a declared cookie purpose '
        "(declared: audience, necessary, tracking)",
    )


def test_it_asks_a_third_party_service_for_its_provider(draft):
    draft.remove('  provider = "mailer"\n')

    assert draft.problem() == Problem(
        draft.line_of('party = "third"'),
        'cookie service "tracker": a third-party service must name its provider: add '
        'provider = "<processor id>"',
    )


def test_it_refuses_a_provider_that_is_not_a_processor(draft):
    draft.replace('provider = "mailer"', 'provider = "trackr"')

    assert draft.problem() == Problem(
        draft.line_of('provider = "trackr"'),
        'cookie service "tracker": provider "trackr" is not a declared processor; add it to '
        "[[processors]]",
    )


def test_it_refuses_a_cookie_purpose_tied_to_an_undeclared_activity(draft):
    draft.replace('activity = "newsletter"', 'activity = "newsleter"')

    assert draft.problem() == Problem(
        draft.line_of('activity = "newsleter"'),
        'cookie purpose "tracking": activity "newsleter" is not declared; use the id of one of '
        "[[activities]]",
    )


# --- duplicates ----------------------------------------------------------------------------


def test_it_refuses_two_activities_with_the_same_id(draft):
    draft.replace('id = "contact"', 'id = "newsletter"')

    assert draft.problem() == Problem(
        draft.lines_of('id = "newsletter"')[1],
        'activity "newsletter": id "newsletter" is already used by an earlier activity; give '
        "each activity its own id",
    )


def test_it_refuses_two_fields_with_the_same_name_in_an_activity(draft):
    draft.replace('name = "message"', 'name = "email"')

    assert draft.problem() == Problem(
        draft.lines_of('name = "email"')[1],
        'activity "contact", field "email": name "email" is already used by an earlier field; '
        "give each field its own name",
    )


def test_it_allows_the_same_field_name_in_two_activities(draft):
    manifest = draft.load()

    assert manifest.activity("contact").field("email").name == "email"
    assert manifest.activity("newsletter").field("email").name == "email"


def test_it_refuses_two_cookie_purposes_with_the_same_id(draft):
    draft.replace('id = "audience"', 'id = "necessary"')
    draft.replace('purpose = "audience"', 'purpose = "necessary"')

    assert draft.problem() == Problem(
        draft.lines_of('id = "necessary"')[1],
        'cookie purpose "necessary": id "necessary" is already used by an earlier cookie '
        "purpose; give each cookie purpose its own id",
    )


# --- fields --------------------------------------------------------------------------------


def test_it_asks_a_choice_field_for_its_choices(draft):
    draft.replace('input = "textarea"', 'input = "choice"')

    assert draft.problem() == Problem(
        draft.lines_of("[[activities.fields]]")[1],
        'activity "contact", field "message": a field with input = "choice" needs its choices: '
        'add choices = [{ value = "…", label = { fr = "…", en = "…" } }]',
    )


def test_it_accepts_a_choice_field_with_choices(draft):
    draft.replace(
        'input = "textarea"',
        'input = "choice"\n  choices = [\n'
        '    { value = "question", label = { fr = "Question", en = "Question" } },\n'
        '    { value = "other", label = { fr = "Autre", en = "Other" } },\n  ]',
    )

    field = draft.load().activity("contact").field("message")

    assert [c.value for c in field.choices] == ["question", "other"]


def test_it_points_at_the_bad_choice_in_a_multiline_list(draft):
    draft.replace(
        'input = "textarea"',
        'input = "choice"\n  choices = [\n'
        '    { value = "question", label = { fr = "Question", en = "Question" } },\n'
        '    { value = "Other!", label = { fr = "Autre", en = "Other" } },\n  ]',
    )

    assert draft.problem() == Problem(
        draft.line_of('"Other!"'),
        'activity "contact", field "message": choices[2].value "Other!" is not an identifier; '
        'use lower-case letters, digits, "_" or "-" (e.g. "contact_form")',
    )


def test_it_asks_a_mandatory_field_what_happens_if_it_is_missing(draft):
    draft.remove(
        '  if_missing = { fr = "Nous ne pouvons pas vous répondre.", '
        'en = "We cannot reply to you." }\n'
    )

    assert draft.problem() == Problem(
        draft.lines_of("required = true")[0],
        'activity "contact", field "email": a mandatory field must say what happens if it is not '
        'provided: add if_missing = { fr = "…", en = "…" }',
    )


def test_it_refuses_a_field_without_categories(draft):
    draft.replace(NEWSLETTER_FIELD, NEWSLETTER_FIELD.replace('["user.contact.email"]', "[]"))

    assert draft.problem() == Problem(
        draft.line_of("categories = []"),
        'activity "newsletter", field "email": categories is empty; it needs at least one entry',
    )


# --- values of their own grammar -----------------------------------------------------------


def test_it_refuses_a_bad_email_address(draft):
    draft.replace('email = "dpo@atelier-bleu.example"', 'email = "dpo-at-atelier-bleu.example"')

    assert draft.problem() == Problem(
        draft.line_of("dpo-at-atelier-bleu"),
        '[dpo]: email "dpo-at-atelier-bleu.example" is not an email address; write e.g. '
        '"dpo@example.org"',
    )


def test_it_refuses_an_origin_with_a_path(draft):
    draft.replace(
        'origins = ["https://atelier-bleu.example"]',
        'origins = ["https://atelier-bleu.example", "https://www.atelier-bleu.example/"]',
    )

    assert draft.problem() == Problem(
        draft.line_of("origins = "),
        '[site]: origins[2] "https://www.atelier-bleu.example/" is not a site origin; write the '
        'scheme and host only, e.g. "https://www.example.org"',
    )


def test_it_refuses_a_bad_web_address(draft):
    draft.replace('website = "https://www.cnil.fr"', 'website = "www.cnil.fr"')

    assert draft.problem() == Problem(
        draft.line_of('website = "www.cnil.fr"'),
        '[authority]: website "www.cnil.fr" is not a web address; write e.g. '
        '"https://example.org/page"',
    )


def test_it_refuses_a_country_name_for_a_country_code(draft):
    draft.replace('country = "FR"', 'country = "France"')

    assert draft.problem() == Problem(
        draft.line_of('country = "France"'),
        'processor "mailer": country "France" is not a country code; use the two capital letters '
        'of ISO 3166 (e.g. "FR", "IE", "US") or "EU"',
    )


def test_it_reports_a_malformed_data_location_once(draft):
    draft.replace('data_location = ["FR"]', 'data_location = ["fr"]')

    assert draft.problem() == Problem(
        draft.line_of('data_location = ["fr"]'),
        'processor "mailer": data_location[1] "fr" is not a country code; use the two capital '
        'letters of ISO 3166 (e.g. "FR", "IE", "US") or "EU"',
    )


def test_it_refuses_a_bad_identifier(draft):
    draft.replace('id = "contact"', 'id = "Contact Form"')

    assert draft.problem() == Problem(
        draft.line_of('id = "Contact Form"'),
        'activity "Contact Form": id "Contact Form" is not an identifier; use lower-case '
        'letters, digits, "_" or "-" (e.g. "contact_form")',
    )


def test_it_refuses_a_bad_duration(draft):
    draft.replace("[rights]\n", '[rights]\nresponse_time = "a month"\n')

    assert draft.problem() == Problem(
        draft.line_of("response_time"),
        '[rights]: response_time "a month" is not a duration; write e.g. "13 months" '
        "(units: days, weeks, months, years)",
    )


# --- texts and types -----------------------------------------------------------------------


def test_it_asks_for_the_english_half_of_a_text(draft):
    draft.replace(
        'purpose = { fr = "Répondre à votre message.", en = "To answer your message." }',
        'purpose = { fr = "Répondre à votre message." }',
    )

    assert draft.problem() == Problem(
        draft.line_of('purpose = { fr = "Répondre'),
        'activity "contact": purpose has no English text; add en = "…"',
    )


def test_it_asks_for_the_english_half_of_a_text_in_a_list(draft):
    draft.replace(
        'data_subjects = [{ fr = "Abonnés", en = "Subscribers" }]',
        'data_subjects = [{ fr = "Abonnés" }]',
    )

    assert draft.problem() == Problem(
        draft.line_of('data_subjects = [{ fr = "Abonnés" }]'),
        'activity "newsletter": data_subjects[1] has no English text; add en = "…"',
    )


def test_it_asks_for_the_french_half_of_a_text(draft):
    draft.replace(
        'security = { fr = "Les données sont chiffrées.", en = "The data is encrypted." }',
        'security = { en = "The data is encrypted." }',
    )

    assert draft.problem() == Problem(
        draft.line_of("security = "), '[policy]: security has no French text; add fr = "…"'
    )


def test_it_refuses_an_empty_text(draft):
    draft.replace('amendments = { fr = "Chaque version est datée."', 'amendments = { fr = "  "')

    assert draft.problem() == Problem(
        draft.line_of("amendments = "), "[policy]: amendments.fr is empty; write something"
    )


def test_it_asks_for_a_list_where_a_string_is_given(draft):
    draft.replace(
        'origins = ["https://atelier-bleu.example"]', 'origins = "https://atelier-bleu.example"'
    )

    assert draft.problem() == Problem(
        draft.line_of("origins = "), '[site]: origins should be a list, e.g. origins = ["…"]'
    )


def test_it_asks_for_a_list_of_recipients(draft):
    draft.replace(
        'recipients = ["mailer"]\nretention = "until', 'recipients = "mailer"\nretention = "until'
    )

    assert draft.problem() == Problem(
        draft.line_of('recipients = "mailer"'),
        'activity "newsletter": recipients should be a list, e.g. recipients = ["…"]',
    )


def test_it_asks_for_a_text_where_a_number_is_given(draft):
    draft.replace(
        'purpose = { fr = "Répondre à votre message.", en = "To answer your message." }',
        "purpose = 42",
    )

    assert draft.problem() == Problem(
        draft.line_of("purpose = 42"),
        'activity "contact": purpose should be a text in each language, e.g. '
        'purpose = { fr = "…", en = "…" }',
    )


def test_it_asks_for_quotes_where_a_number_is_given_for_a_string(draft):
    draft.replace('name = "Mailer"', "name = 42")

    assert draft.problem() == Problem(
        draft.line_of("name = 42"),
        'processor "mailer": name should be text in quotes, e.g. name = "…"',
    )


def test_it_asks_for_true_or_false(draft):
    draft.replace("required = false", 'required = "maybe"')

    assert draft.problem() == Problem(
        draft.line_of('required = "maybe"'),
        'activity "contact", field "message": required should be true or false',
    )


def test_it_asks_for_a_date_without_quotes(draft):
    draft.replace("date = 2024-01-15", 'date = "15/01/2024"')

    assert draft.problem() == Problem(
        draft.line_of('date = "15/01/2024"'),
        'processor "mailer": dpa.date should be a date without quotes, e.g. date = 2024-05-01',
    )


def test_it_asks_for_a_table_where_a_section_is_a_value(draft):
    draft.replace("schema_version = 1", 'schema_version = 1\ntaxonomy = "fideslang"')

    assert draft.problem() == Problem(
        draft.line_of('taxonomy = "fideslang"'),
        "taxonomy should be a table: a [section] or { key = value, … }",
    )


def test_it_refuses_an_unknown_schema_version(draft):
    draft.replace("schema_version = 1", "schema_version = 2")

    assert draft.problem() == Problem(1, 'schema_version "2" is not allowed; use one of 1')


# --- everything at once --------------------------------------------------------------------


def test_it_reports_every_independent_problem_at_once_sorted_by_line(draft):
    draft.replace('choice_lifetime = "12 months"', 'choice_lifetime = "2 years"')
    draft.replace(NEWSLETTER_RETENTION, 'retention = "3 yeras after last_contact"')
    draft.replace('email = "dpo@atelier-bleu.example"', 'email = "nobody"')
    draft.replace('legal_basis = "legitimate_interest"', 'legal_basis = "interest"')
    draft.replace('country = "FR"', 'country = "France"')

    problems = draft.problems()

    assert [p.line for p in problems] == [
        draft.line_of('email = "nobody"'),
        draft.line_of('legal_basis = "interest"'),
        draft.line_of("3 yeras"),
        draft.line_of('country = "France"'),
        draft.line_of("choice_lifetime"),
    ]
    assert problems == sorted(problems)
    assert [p.message.split(":")[0] for p in problems] == [
        "[dpo]",
        'activity "contact"',
        'activity "newsletter"',
        'processor "mailer"',
        "[cookies]",
    ]


def test_it_formats_each_problem_as_file_line_message(draft):
    draft.replace('email = "dpo@atelier-bleu.example"', 'email = "nobody"')
    draft.replace('country = "FR"', 'country = "France"')

    with pytest.raises(ManifestError) as caught:
        load_text(draft.text, "site/gardien.toml")

    france = draft.line_of('country = "France"')
    assert caught.value.lines() == [
        f'site/gardien.toml:{draft.line_of("nobody")}: [dpo]: email "nobody" is not an email '
        'address; write e.g. "dpo@example.org"',
        f'site/gardien.toml:{france}: processor "mailer": country "France" is '
        'not a country code; use the two capital letters of ISO 3166 (e.g. "FR", "IE", "US") '
        'or "EU"',
    ]
    assert str(caught.value) == "\n".join(caught.value.lines())
