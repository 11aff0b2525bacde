"""Each recipient's role (GDPR Art. 28 and 26): declared in the manifest, checked by
`gardien check`, shown by the register and the policy page."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.utils import translation

from gardien.manifest import content_hash, load_path
from gardien.policy import register

FRAMER = 'id = "framer"\nname = "Framer"\nentity = "Framer B.V., Rozengracht 207B, 1016 LZ Amsterdam, Netherlands"\nrole = "processor"\n'


def run_check(path: object) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("check", str(path), stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, err.getvalue()


def framer_as(edited_manifest, lines: str):  # type: ignore[no-untyped-def]
    return edited_manifest((FRAMER, FRAMER.replace('role = "processor"\n', lines)))


def line_of(path, text: str) -> int:  # type: ignore[no-untyped-def]
    """The line of Framer's table that starts with ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    framer = lines.index('id = "framer"')
    return next(n for n, line in enumerate(lines, start=1) if n > framer and line.startswith(text))


def test_coopo_states_that_each_of_its_recipients_is_a_processor(coopo_path):
    text = coopo_path.read_text(encoding="utf-8")
    assert text.count('role = "processor"') == len(load_path(coopo_path).processors) == 5


def test_a_recipient_without_a_role_is_a_processor_and_hashes_as_before(
    edited_manifest, coopo_manifest
):
    path = framer_as(edited_manifest, "")
    manifest = load_path(path)
    assert manifest.processor("framer").role == "processor"
    # A manifest written before roles existed is the same policy: nothing new to publish.
    assert content_hash(manifest) == content_hash(coopo_manifest)


def test_a_sub_processor_names_who_engaged_it_and_the_register_says_so(edited_manifest):
    path = framer_as(edited_manifest, 'role = "sub_processor"\nengaged_by = "gardien-host"\n')
    code, err = run_check(path)
    assert code == 0, err
    data = register.build(load_path(path), "en")
    framer = next(p for p in data["processors"] if p["id"] == "framer")
    assert framer["role"]["key"] == "sub_processor"
    assert framer["role"]["engaged_by"] == {"id": "gardien-host", "name": "OVHcloud"}
    header, rows = register.rows(data, "processors")
    cell = next(r for r in rows if r[0] == "framer")[header.index("Role (Art. 28, 26)")]
    assert cell == "Sub-processor (GDPR Art. 28(2), 28(4)), engaged by OVHcloud"


@pytest.mark.parametrize(
    ("lines", "where", "says"),
    [
        ('role = "sub_processor"\n', "role = ", 'add engaged_by = "<the id of that processor>"'),
        (
            'role = "joint_controller"\nengaged_by = "gardien-host"\n',
            "engaged_by = ",
            'this recipient\'s role is "joint_controller"; write role = "sub_processor"',
        ),
        (
            'role = "sub_processor"\nengaged_by = "nobody"\n',
            "engaged_by = ",
            'engaged_by "nobody" is not a declared processor',
        ),
        (
            'role = "sub_processor"\nengaged_by = "framer"\n',
            "engaged_by = ",
            "a sub-processor cannot be engaged by itself",
        ),
        ('role = "controller"\n', "role = ", "joint_controller"),
    ],
)
def test_gardien_check_says_what_to_write_for_a_wrong_role(db, edited_manifest, lines, where, says):
    path = framer_as(edited_manifest, lines)
    code, err = run_check(path)
    assert code == 1
    assert re.search(rf"{re.escape(str(path))}:{line_of(path, where)}: .*{re.escape(says)}", err), (
        err
    )


def test_the_policy_page_names_a_controller_and_changes_its_promise(
    client, db, edited_manifest, settings
):
    from gardien.policy.services import publish

    path = framer_as(edited_manifest, 'role = "independent_controller"\n')
    publish(path, note="Framer decides its own use")
    with translation.override("en"):
        html = client.get("/en/privacy/").text
    assert "Independent controller" in html
    assert "Our processors, who act only on our instructions" not in html
    assert "a controller decides its own use of the data and answers for it" in html
