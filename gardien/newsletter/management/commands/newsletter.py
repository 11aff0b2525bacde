from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.audit.services import Actor, record
from gardien.lib import when
from gardien.lib.command import GardienCommand, InputError
from gardien.lib.progress import Progress
from gardien.manifest import wording as say
from gardien.newsletter import campaigns, notices, services
from gardien.newsletter.models import Campaign
from gardien.policy import notice

SUBJECT_MAX = Campaign._meta.get_field("subject").max_length or 200
BODY_MAX = 200_000


class Command(GardienCommand):
    help = gettext_lazy(
        "The newsletter: who is subscribed, the proof of a person's consent, sending a "
        "newsletter or the notice of a policy change to every subscriber, and keeping Brevo's "
        "list in line with Gardien's."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser(
            "audience",
            help=_("count the addresses: waiting for confirmation, subscribed, unsubscribed"),
            description=_(
                "Print how many addresses wait for their confirmation, are subscribed, "
                "have unsubscribed, or are restricted, and whether Brevo is on."
            ),
        )
        show = sub.add_parser(
            "show",
            help=_("print the proof of one address's consent"),
            description=_(
                "Print what proves an address's consent to the newsletter: when it "
                "signed up and confirmed, the statement it agreed to, where, and any withdrawal."
            ),
        )
        show.add_argument("email", help=_("the address, as the person gave it"))
        send = sub.add_parser(
            "send",
            help=_("send a newsletter to every subscriber"),
            description=_(
                "Send a newsletter to every confirmed subscriber whose processing is "
                "not restricted, by email through Gardien's mail server. If the sending stops half "
                "way, run the same command again: it goes on with those not sent to yet."
            ),
        )
        send.add_argument("--subject", required=True, help=_("the subject line"))
        send.add_argument(
            "--body",
            required=True,
            type=Path,
            help=_("a text file (Markdown: paragraphs, # headings, - lists, [links](https://…))"),
        )
        send.add_argument("--again", action="store_true", help=_("send a campaign already sent"))
        notify = sub.add_parser(
            "notify-policy-change",
            help=_("show, then with --send send, the notice of the latest policy change"),
            description=_(
                "Print the email that tells subscribers what changed in the latest "
                "published privacy policy, for you to read. Add --send to send it to them."
            ),
        )
        notify.add_argument("--send", action="store_true", help=_("send it to every subscriber"))
        reconcile = sub.add_parser(
            "reconcile",
            help=_("compare Brevo's list with Gardien's and fix the differences safely"),
            description=_(
                "Compare the subscribers in Gardien with the contacts in the Brevo "
                "list. An address in Brevo's list that is not subscribed in Gardien is removed "
                "from Brevo; a subscriber whom Brevo blocklisted or took out of the list (they "
                "left inside Brevo) is unsubscribed in Gardien. Nobody is ever subscribed again "
                "by it."
            ),
        )
        reconcile.add_argument(
            "--dry-run", action="store_true", help=_("only say what would be fixed")
        )
        reply = sub.add_parser(
            "replied",
            help=_("record that a subscriber wrote to you (their retention period starts again)"),
            description=_(
                "Record that a subscriber replied or wrote to you: the newsletter's "
                "last contact moves to now, so the address is kept for the declared period from "
                "today."
            ),
        )
        reply.add_argument("email", help=_("the subscriber's address"))
        snippet = sub.add_parser(
            "snippet",
            help=_("print the HTML of the sign-up form to paste into your site"),
            description=_(
                "Print the HTML of the newsletter sign-up form to paste into a page "
                "of your site; generate it again after publishing a change."
            ),
        )
        snippet.add_argument(
            "--language",
            choices=say.LANGUAGES,
            default=say.DEFAULT_LANGUAGE,
            help=_("language of the form (default: fr)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        getattr(self, f"_{action}")(options)

    # --- audience, show, replied ---------------------------------------------------------

    def _audience(self, options: dict[str, Any]) -> None:
        counts = services.audience()
        self.stdout.write(
            _(
                "Subscribed: %(confirmed)d (of whom restricted: %(restricted)d); waiting for "
                "confirmation: %(pending)d; unsubscribed: %(unsubscribed)d."
            )
            % counts
        )
        found = services.setup()
        processor = found.section.processor if found else None
        if processor is None:
            self.stdout.write(
                _("No processor holds the list: Gardien sends the newsletter itself.")
            )
        elif services.processor_id() is None:
            self.stdout.write(
                _(
                    "%(processor)s: off (GARDIEN_BREVO_API_KEY is not set); subscribers stay in "
                    "Gardien only, although the policy names this processor."
                )
                % {"processor": processor}
            )
        else:
            self.stdout.write(
                _("%(processor)s: on, list %(list)s.")
                % {"processor": processor, "list": settings.GARDIEN_BREVO_LIST_ID}
            )

    def _show(self, options: dict[str, Any]) -> None:
        found = services.proofs_for(options["email"])
        if found.subscription is None and not found.proofs and not found.pending:
            self.stdout.write(_("Nothing about this address: no sign-up, no proof."))
            return
        if found.subscription is not None:
            self.stdout.write(
                _("Subscribed since %(when)s.")
                % {"when": when.text(found.subscription.confirmed_at)}
            )
        else:
            self.stdout.write(_("Not subscribed."))
        if found.pending:
            self.stdout.write(
                _("Sign-ups waiting for confirmation: %(count)d.") % {"count": found.pending}
            )
        for proof in found.proofs:
            self.stdout.write(
                _(
                    "- signed up %(signed)s, confirmed %(confirmed)s · source: %(source)s · "
                    "language: %(lang)s · policy version %(version)s · statement SHA-256 "
                    "%(sha)s"
                )
                % {
                    "signed": when.text(proof.signed_up_at),
                    "confirmed": when.text(proof.confirmed_at),
                    "source": proof.source,
                    "lang": proof.lang,
                    "version": proof.policy_version,
                    "sha": proof.statement_sha256,
                }
            )
            if proof.withdrawn_at:
                self.stdout.write(
                    _("  withdrawn %(when)s (%(how)s)")
                    % {"when": when.text(proof.withdrawn_at), "how": proof.withdrawn_how}
                )
        record(
            actor=Actor.system(),
            action="read_export",
            target_type="newsletter.consentproof",
            target_ref=",".join(str(p.pk)[:8] for p in found.proofs) or "-",
            reason="gardien newsletter show",
        )

    def _replied(self, options: dict[str, Any]) -> None:
        if not services.touch_by_email(options["email"]):
            raise CommandError(_("This address is not subscribed; nothing was recorded."))
        self.stdout.write(_("Recorded: the newsletter's last contact with this subscriber is now."))

    # --- sending ------------------------------------------------------------------------

    def _send(self, options: dict[str, Any]) -> None:
        subject = " ".join(options["subject"].split())
        if not subject or len(subject) > SUBJECT_MAX:
            raise InputError(_("Give a subject of 1 to %(max)d characters.") % {"max": SUBJECT_MAX})
        try:
            body = options["body"].read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                _("Cannot read %(path)s: %(problem)s. Give a UTF-8 text file.")
                % {"path": options["body"], "problem": getattr(exc, "strerror", None) or exc}
            ) from None
        if not body.strip() or len(body) > BODY_MAX:
            raise InputError(_("The text must hold 1 to %(max)d characters.") % {"max": BODY_MAX})
        self._run(Campaign.Kind.NEWSLETTER, subject, body, None, again=options["again"])

    def _notify_policy_change(self, options: dict[str, Any]) -> None:
        pending = notices.pending_notice()
        if pending is None:
            self.stdout.write(
                _(
                    "The latest published version changes no purpose, legal basis, recipient "
                    "or retention period: there is nothing to tell subscribers."
                )
            )
            return
        found = services.setup()
        if found is None:
            raise CommandError(_("The published policy has no newsletter; nobody to tell."))
        if not options["send"]:
            draft = Campaign(
                kind=Campaign.Kind.POLICY_CHANGE,
                policy_version=pending.number,
                body=str(pending.since),
            )
            for lang, letter in campaigns.letters(draft, found).items():
                self.stdout.write(
                    _("=== %(lang)s · Subject: %(subject)s")
                    % {"lang": lang, "subject": letter.subject}
                )
                self.stdout.write(
                    letter.text.replace("\x00unsubscribe\x00", _("<unsubscribe link>"))
                )
            count = services.sendable().count()
            self.stdout.write(
                _(
                    "This notice would go to %(count)d subscribers. Send it with: "
                    "gardien newsletter notify-policy-change --send"
                )
                % {"count": count}
            )
            return
        subject = f"policy version {pending.number}"
        self._run(
            Campaign.Kind.POLICY_CHANGE, subject, str(pending.since), pending.number, again=False
        )

    def _run(self, kind: str, subject: str, body: str, version: int | None, again: bool) -> None:
        try:
            campaign, resumed = campaigns.prepare(
                kind, subject, body, policy_version=version, again=again
            )
        except campaigns.CampaignError as exc:
            raise CommandError(str(exc)) from None
        if resumed:
            self.stdout.write(_("Resuming the unfinished sending of this campaign."))
        bar = Progress(self.stdout, _("Sending"))
        try:
            summary = campaigns.send(campaign, progress=bar)
        except campaigns.CampaignError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            bar.end()
            raise CommandError(
                _(
                    "The mail server stopped the sending (%(error)s). Nothing already sent is "
                    "sent again: run the same command to go on."
                )
                % {"error": exc.__class__.__name__}
            ) from None
        bar.end()
        record(
            actor=Actor.system(),
            action="send",
            target_type="newsletter.campaign",
            target_ref=str(campaign.pk),
            reason=f"{summary.sent} sent",
        )
        text = _("Sent to %(sent)d subscribers") % {"sent": summary.sent}
        if resumed:
            text += " " + _("(%(total)d in all, with earlier runs)") % {"total": summary.total}
        if summary.skipped:
            text += _("; %(skipped)d skipped (left or restricted since)") % {
                "skipped": summary.skipped
            }
        self.stdout.write(text + ".")

    # --- Brevo --------------------------------------------------------------------------

    def _reconcile(self, options: dict[str, Any]) -> None:
        from gardien.newsletter import reconcile

        if services.processor_id() is None:
            raise CommandError(
                _("Brevo is off (GARDIEN_BREVO_API_KEY is not set): there is no list to compare.")
            )
        bar = Progress(self.stdout, _("Comparing"))
        try:
            outcome = reconcile.run(dry_run=options["dry_run"], progress=bar)
        except reconcile.ReconcileError as exc:
            bar.end()
            raise CommandError(str(exc)) from None
        bar.end()
        numbers = {
            "compared": outcome.compared,
            "removed": outcome.removed_at_processor,
            "unsubscribed": outcome.unsubscribed_here,
            "waiting": outcome.waiting,
            "missing": outcome.missing,
        }
        if options["dry_run"]:
            text = _(
                "Compared %(compared)d addresses. Would fix: %(removed)d removed from Brevo, "
                "%(unsubscribed)d unsubscribed in Gardien; %(waiting)d changes still on their "
                "way to Brevo were left alone; %(missing)d subscribers unknown to Brevo were "
                "left alone. (Dry run: nothing changed.)"
            )
        else:
            text = _(
                "Compared %(compared)d addresses. Fixed: %(removed)d removed from Brevo, "
                "%(unsubscribed)d unsubscribed in Gardien; %(waiting)d changes still on their "
                "way to Brevo were left alone; %(missing)d subscribers unknown to Brevo were "
                "left alone."
            )
        self.stdout.write(text % numbers)

    # --- snippet ------------------------------------------------------------------------

    def _snippet(self, options: dict[str, Any]) -> None:
        lang = options["language"]
        found = services.setup()
        if found is None:
            raise CommandError(
                _(
                    "The published policy has no newsletter; declare [newsletter] and run "
                    "“gardien policy publish”."
                )
            )
        with translation.override(lang):
            form = services.signup_form(found, lang)
            form.auto_id = "gardien_nl_%s"
            html = render_to_string(
                "newsletter/snippet.html",
                {
                    **notice.notice_context(found.manifest, lang, services.ACTIVITY),
                    "form": form,
                    "lang": lang,
                    "version": found.version,
                    "site_url": settings.SITE_URL,
                    "action": reverse("newsletter-lang", kwargs={"lang": lang}),
                    "notice_url": reverse("newsletter-lang", kwargs={"lang": lang})
                    + "#notice-title",
                    "challenge_url": reverse("antispam-challenge"),
                    "script_url": static("antispam/altcha.js"),
                    "honeypot_id": "gardien_nl_website_url",
                    "honeypot_hidden": True,
                },
            )
        self.stdout.write(html, ending="")
