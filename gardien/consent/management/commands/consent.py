from __future__ import annotations

import json
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gardien.consent import seal
from gardien.consent.models import ConsentRecord
from gardien.consent.services import CONSENT_ID, proofs_of
from gardien.consent.stats import proof_row
from gardien.lib import when
from gardien.lib.command import GardienCommand, InputError


def check_url(record: ConsentRecord) -> str:
    path = reverse("consent-config-shown", kwargs={"hash_hex": record.config_hash})
    return f"{settings.SITE_URL}{path}"


class Command(GardienCommand):
    help = gettext_lazy(
        "Shows the proofs of a visitor's cookie choices. `show CONSENT_ID` prints every choice "
        "recorded under the reference the visitor was shown (on the cookie settings page or "
        "in the banner): when, what they accepted or refused, and the exact version of the "
        "banner they saw, with how to check it. Nothing is changed. `verify` checks that no "
        "sealed proof was changed, removed or inserted (`verify --id CONSENT_ID`: that each "
        "proof of one id was sealed); `seal` seals the proofs written since the last seal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{show,verify,seal}")
        show = sub.add_parser(
            "show",
            help=_("print every recorded choice of one consent id"),
            usage="%(prog)s [-h] [--json] [--] CONSENT_ID",
            description=_(
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
            help=_(
                "the 22-character reference the visitor was shown, e.g. 3q2-7wEvQx9TfJ0m5Yl1aA; "
                "if it starts with a dash (-), type -- before it"
            ),
        )
        show.add_argument(
            "--json",
            action="store_true",
            help=_("print the proofs as JSON (for a file or another program)"),
        )

        verify = sub.add_parser(
            "verify",
            help=_("check the sealed ledger, or prove the proofs of one consent id were sealed"),
            description=_(
                "Recompute every seal of the consent ledger from the proofs and compare it "
                "with its root and with the audit log: a changed, deleted or inserted proof is "
                "named with its seal and position; proofs removed by the retention purge or an "
                "erasure request are listed as such, proofs not sealed yet too. With --id, "
                "show for each proof of that consent id the path of hashes from the proof to "
                "its seal's root. Exits with 0 when intact, 1 when tampered with, 2 on a usage "
                "error."
            ),
        )
        verify.add_argument(
            "--id",
            dest="consent_id",
            metavar="CONSENT_ID",
            help=_("prove that each proof of this consent id was sealed"),
        )
        sub.add_parser(
            "seal",
            help=_("seal the proofs written since the last seal now"),
            description=_(
                "Fold the proofs written since the last seal into a Merkle root, kept and "
                "written into the audit log (the worker does it every 15 minutes)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            if options.get("consent_id"):
                self.prove(options["consent_id"].strip())
            else:
                self.verify()
            return
        if options["action"] == "seal":
            made = seal.seal_pending()
            sealed = sum(s.count for s in made)
            if not made:
                self.stdout.write(_("No proof was waiting for a seal: nothing was sealed."))
            else:
                self.stdout.write(
                    ngettext(
                        "Sealed %(proofs)d proof under a new seal.",
                        "Sealed %(proofs)d proofs under %(seals)d new seal(s).",
                        sealed,
                    )
                    % {"seals": len(made), "proofs": sealed}
                )
            return
        consent_id = options["consent_id"].strip()
        if not CONSENT_ID.fullmatch(consent_id):
            raise InputError(
                _(
                    "“%(id)s” is not a consent id: a consent id has 22 or 32 letters, digits, "
                    "“-” or “_”."
                )
                % {"id": consent_id[:40]}
            )
        proofs = proofs_of(consent_id)
        if not proofs:
            raise CommandError(
                _(
                    "No choice is recorded under the consent id %(id)s. Check the id; proofs "
                    "older than the retention period have been erased."
                )
                % {"id": consent_id}
            )
        if options["json"]:
            rows = [
                {**proof_row(p), "recorded_at": when.iso(p.recorded_at), "check_url": check_url(p)}
                for p in proofs
            ]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            ngettext(
                "Consent id %(id)s: %(count)d choice recorded (times in %(zone)s).",
                "Consent id %(id)s: %(count)d choices recorded (times in %(zone)s).",
                len(proofs),
            )
            % {"id": consent_id, "count": len(proofs), "zone": when.zone()}
        )
        for proof in proofs:
            decisions = ", ".join(
                (_("%(purpose)s granted") if on else _("%(purpose)s refused"))
                % {"purpose": purpose}
                for purpose, on in proof.decisions.items()
            )
            gpc = _("yes (sent by the browser)") if proof.gpc else _("no")
            self.stdout.write("")
            self.stdout.write(
                f"{when.text(proof.recorded_at, seconds=True)}  {proof.action} "
                f"({proof.get_action_display()})"
            )
            for label, value in (
                (_("decisions"), decisions or _("none asked")),
                (_("policy version"), proof.policy_version),
                (_("language"), proof.lang),
                (_("Global Privacy Control"), gpc),
                (_("configuration hash"), proof.config_hash),
            ):
                self.stdout.write(f"  {label + ':':<24}{value}")
        self.stdout.write("")
        self.stdout.write(
            _(
                "To check what a visitor saw: open the configuration address below for the "
                "version and language of a choice; its “hash” field must equal the configuration "
                "hash above. It is the SHA-256 of that document without its “hash” field, "
                "written as compact JSON with sorted keys (docs/consent.md)."
            )
        )
        for url in dict.fromkeys(check_url(p) for p in proofs):
            self.stdout.write(f"  {url}")

    def verify(self) -> None:
        result = seal.verify()
        sealed = sum(c.seal.count for c in result.seals)
        for check in result.seals:
            for line in check.removed:
                self.stdout.write(
                    _("Seal %(seal)d: %(what)s; root was %(root)s.")
                    % {"seal": check.seal.pk, "what": line, "root": check.seal.root}
                )
            if not check.audited:
                self.stdout.write(
                    _(
                        "Seal %(seal)d: its audit entry went with the audit log's retention; "
                        "its root is checked against the seal's own signature."
                    )
                    % {"seal": check.seal.pk}
                )
            for problem in check.problems:
                self.stdout.write(_("TAMPERED: %(problem)s.") % {"problem": problem})
        for pk in result.outside:
            self.stdout.write(
                _("TAMPERED: proof %(pk)d was inserted where a seal had already passed.")
                % {"pk": pk}
            )
        for problem in result.chain:
            self.stdout.write(_("TAMPERED: %(problem)s.") % {"problem": problem})
        if result.unsealed is not None:
            count, first, last = result.unsealed
            self.stdout.write(
                _(
                    "%(count)d proof(s) (%(first)d..%(last)d) are not sealed yet: the worker "
                    "seals new proofs every 15 minutes, or run `gardien consent seal`."
                )
                % {"count": count, "first": first, "last": last}
            )
        if not result.intact:
            self.stdout.write(
                _(
                    "The consent ledger was tampered with: the proofs named above differ "
                    "from what was sealed."
                )
            )
            sys.exit(1)
        self.stdout.write(
            _(
                "The consent ledger is intact: %(seals)d seal(s) over %(proofs)d proof(s) "
                "recomputed from the ledger match their roots in the audit log."
            )
            % {"seals": len(result.seals), "proofs": sealed}
        )

    def prove(self, consent_id: str) -> None:
        if not CONSENT_ID.fullmatch(consent_id):
            raise InputError(
                _(
                    "“%(id)s” is not a consent id: a consent id has 22 or 32 letters, digits, "
                    "“-” or “_”."
                )
                % {"id": consent_id[:40]}
            )
        proofs = seal.prove(consent_id)
        if not proofs:
            raise InputError(
                _(
                    "No choice is recorded under the consent id %(id)s; proofs older than the "
                    "retention period have been erased (`gardien consent verify` tells an "
                    "erasure from a deletion)."
                )
                % {"id": consent_id}
            )
        broken = False
        for proof in proofs:
            recorded = when.text(proof.recorded_at, seconds=True)
            self.stdout.write("")
            if proof.seal is None:
                self.stdout.write(
                    _(
                        "The choice recorded on %(when)s under the consent id %(id)s (proof "
                        "%(pk)d) is not sealed yet: the worker seals new proofs every 15 "
                        "minutes, or run `gardien consent seal`."
                    )
                    % {"when": recorded, "id": consent_id, "pk": proof.pk}
                )
                continue
            values = {
                "when": recorded,
                "id": consent_id,
                "pk": proof.pk,
                "position": proof.position + 1,
                "count": proof.seal.count,
                "sealed": when.text(proof.seal.sealed_at),
                "seal": proof.seal.pk,
                "root": proof.seal.root,
                "steps": len(proof.path),
                "entry": proof.audit_position or _("since removed by its retention"),
            }
            if not proof.holds:
                broken = True
                self.stdout.write(
                    _(
                        "TAMPERED: the choice recorded on %(when)s under the consent id %(id)s "
                        "(proof %(pk)d) does not match seal %(seal)d: it was changed after it "
                        "was sealed."
                    )
                    % values
                )
                continue
            self.stdout.write(
                _(
                    "The choice recorded on %(when)s under the consent id %(id)s (proof "
                    "%(pk)d) is unchanged since it was sealed: it is proof %(position)d of the "
                    "%(count)d sealed on %(sealed)s (seal %(seal)d), and SHA-256 over it and "
                    "the %(steps)d hashes below gives that seal's root, %(root)s, which Gardien "
                    "wrote into its audit log (entry %(entry)s) when sealing."
                )
                % values
            )
            self.stdout.write(f"  leaf    {proof.leaf}")
            for side, sibling in proof.path:
                self.stdout.write(f"  {side:<7} {sibling}")
            self.stdout.write(f"  root    {proof.seal.root}")
        if broken:
            sys.exit(1)
