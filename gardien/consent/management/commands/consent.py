from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import translation

from gardien.consent.models import ConsentRecord
from gardien.consent.services import CONSENT_ID, proofs_of
from gardien.consent.stats import proof_row


def check_url(record: ConsentRecord) -> str:
    path = reverse("consent-config-shown", kwargs={"hash_hex": record.config_hash})
    return f"{settings.SITE_URL}{path}"


class Command(BaseCommand):
    help = (
        "Shows the proofs of a visitor's cookie choices. `show CONSENT_ID` prints every choice "
        "recorded under the reference the visitor was shown (on the cookie settings page or "
        "in the banner): when, what they accepted or refused, and the exact version of the "
        "banner they saw, with how to check it. Nothing is changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{show}")
        show = sub.add_parser(
            "show",
            help="print every recorded choice of one consent id",
            usage="%(prog)s [-h] [--json] [--] CONSENT_ID",
            description=(
                "Print every choice recorded under one consent id: the date, the action "
                "(accepted all, refused all, chose purpose by purpose, withdrew, browser "
                "privacy signal, closed the banner), the decision for each purpose, the "
                "policy version, the language and the fingerprint of the banner shown. "
                "Exits with status 1 when the id is unknown. An id that starts with a dash (-) "
                "would be read as an option: type -- before it, e.g. "
                "`gardien consent show -- -q2x7wEvQx9TfJ0m5Yl1aA`."
            ),
        )
        show.add_argument(
            "consent_id",
            metavar="CONSENT_ID",
            help=(
                "the 22-character reference the visitor was shown, e.g. 3q2-7wEvQx9TfJ0m5Yl1aA; "
                "if it starts with a dash (-), type -- before it"
            ),
        )
        show.add_argument(
            "--json",
            action="store_true",
            help="print the proofs as JSON (for a file or another program)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        consent_id = options["consent_id"].strip()
        if not CONSENT_ID.fullmatch(consent_id):
            raise CommandError(
                f"“{consent_id[:40]}” is not a consent id: a consent id has exactly 22 "
                "letters, digits, “-” or “_”. Copy it again from the visitor's message."
            )
        proofs = proofs_of(consent_id)
        if not proofs:
            raise CommandError(
                f"No choice is recorded under the consent id {consent_id}. Check the id; "
                "proofs older than the retention period have been erased."
            )
        if options["json"]:
            rows = [{**proof_row(p), "check_url": check_url(p)} for p in proofs]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"Consent id {consent_id}: {len(proofs)} choice(s) recorded.")
        for proof in proofs:
            decisions = ", ".join(
                f"{purpose} {'granted' if on else 'refused'}"
                for purpose, on in proof.decisions.items()
            )
            with translation.override("en"):
                action = proof.get_action_display()
            gpc = "yes (sent by the browser)" if proof.gpc else "no"
            self.stdout.write("")
            self.stdout.write(
                f"{proof.recorded_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC  {proof.action} "
                f"({action})"
            )
            for label, value in (
                ("decisions", decisions or "none asked"),
                ("policy version", proof.policy_version),
                ("language", proof.lang),
                ("Global Privacy Control", gpc),
                ("configuration hash", proof.config_hash),
            ):
                self.stdout.write(f"  {label + ':':<24}{value}")
        self.stdout.write("")
        self.stdout.write(
            "To check what a visitor saw: open the configuration address below for the "
            "version and language of a choice; its “hash” field must equal the configuration "
            "hash above. It is the SHA-256 of that document without its “hash” field, written "
            "as compact JSON with sorted keys (docs/consent.md)."
        )
        for url in dict.fromkeys(check_url(p) for p in proofs):
            self.stdout.write(f"  {url}")
