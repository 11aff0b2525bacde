"""`gardien rights`: the rights requests from the command line, as the DPO handles them in the
back office. Every step goes through :mod:`gardien.rights.services` and
:mod:`gardien.rights.fulfil`, which audit it and write it to the case's timeline."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gardien.audit.services import Actor, record
from gardien.lib import clock, when
from gardien.lib.command import GardienCommand, InputError
from gardien.rights import fulfil, services
from gardien.rights.models import IdentityDocument, Right, RightsRequest
from gardien.vault.models import Restriction
from gardien.vault.services import VaultError

#: The version of the layout `show --json` prints; the keys below are kept under it.
JSON_FORMAT = "gardien-rights-request/1"

#: The actions that change a request (refused with --now in production).
CHANGES = frozenset(
    {
        "create",
        "verify",
        "extend",
        "reject",
        "close",
        "restrict",
        "unrestrict",
        "export",
        "erase",
        "object",
        "withdraw",
    }
)

#: The legal bases an objection applies to (Art. 21(1)); direct marketing (the newsletter)
#: always (Art. 21(2)).
NEWSLETTER = "newsletter"

REFERENCE_HELP = gettext_lazy(
    "the request's reference, as the person was given it, e.g. R-7KX2M9QWPD"
)

JSON_HELP = gettext_lazy(
    "print the case as JSON for a file or another program. Its keys stay as they are under "
    '"format": "%(format)s": reference, state (unverified, verified, refused, closed), '
    "channel (form, email, post), language, rights (list), received_at, due_at, extended_to, "
    "deadline, verified_at, answered_at, closed_at (ISO 8601 times with their UTC offset, or "
    "null), overdue and due_soon (true/false as of --now), requester (last_name, first_name, "
    "email, from_email, postal_address), details, consent_reference, extension_reason, "
    "refusal_reason, doubt_reason, identity_document (asked_at, uploaded_at, or null), "
    "restrictions held for the person (a list of activity, null for every activity, ground, "
    "since) and timeline (a list of at, what, by, note)"
)


_day = when.day
_when = when.text
_iso = when.iso


def _received(text: str) -> dt.datetime:
    """--received: a day is read on the organisation's calendar (TIME_ZONE), from its start;
    a date and time as written (UTC without an offset)."""
    raw = text.strip()
    if len(raw) == 10:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            pass
        else:
            return timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return clock.parse_instant(raw)


class Command(GardienCommand):
    help = gettext_lazy(
        "Handles the requests people make to exercise their rights (access, erasure, "
        "restriction, objection…), as the DPO does in the back office. `create` files a "
        "request received by email or post and gives its reference and answer due date; "
        "`list` shows the open requests by due date, overdue ones flagged; `show` prints one "
        "case with its timeline; `verify` records how the person's identity was checked; "
        "`extend`, `reject` and `close` handle the deadline and the end of a request; "
        "`export`, `erase`, `restrict`, `unrestrict`, `object` and `withdraw` carry out the "
        "rights once the identity is verified. The person is told by email through the worker. "
        "Every step is recorded in the audit log and on the request's timeline. Each action "
        "accepts --now DATE to act as if it were that date (not in production, except for "
        "list and show). Run `gardien rights ACTION --help` for the details of each."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        def action(name: str, help: str, description: str, reference: bool = True) -> Any:
            command = sub.add_parser(name, help=help, description=description)
            if reference:
                command.add_argument("reference", metavar="REF", help=str(REFERENCE_HELP))
            command.add_argument(
                "--now",
                default=None,
                metavar="DATE",
                help=_(
                    "act as if today were this date, e.g. 2027-02-20 (rehearsals and tests; "
                    "refused in production for an action that changes a request)"
                ),
            )
            return command

        create = action(
            "create",
            _("file a request received by email or by post"),
            _(
                "File a request that reached you by email or by post (the form on the site files "
                "its requests itself). Prints its reference, to quote in every answer, and the "
                "date the answer is due: one calendar month after it was received, as the "
                "published policy says (received on 31 January, due on the last day of February). "
                "When the request gives an email address, the worker sends it the reference and a "
                "link that confirms the request comes from the owner of the address; nothing is "
                "disclosed or changed before that, or before you record another check of the "
                "person's identity with `gardien rights verify`."
            ),
            reference=False,
        )
        create.add_argument(
            "--received",
            required=True,
            metavar="DATE",
            help=_(
                "the day the request reached you, e.g. 2027-01-31 (the due date counts from "
                "it), or a date and time, e.g. 2027-01-31T09:30:00+01:00"
            ),
        )
        create.add_argument(
            "--channel",
            required=True,
            choices=["email", "post"],
            help=_("how it reached you"),
        )
        create.add_argument(
            "--right",
            dest="rights",
            action="append",
            required=True,
            choices=Right.values,
            help=_(
                "a right the person exercises; repeat it for several, e.g. --right access "
                "--right erasure"
            ),
        )
        create.add_argument(
            "--email",
            default="",
            metavar="ADDRESS",
            help=_(
                "the email address the request is about (the verification link goes there); "
                "required for a request received by email"
            ),
        )
        create.add_argument(
            "--from",
            dest="reply_email",
            default="",
            metavar="ADDRESS",
            help=_(
                "the address the email came from, when it is not the one the request is "
                "about: it gets a plain acknowledgement and nothing else"
            ),
        )
        create.add_argument(
            "--last-name", default="", metavar="NAME", help=_("the person's last name")
        )
        create.add_argument(
            "--first-name", default="", metavar="NAME", help=_("the person's first name")
        )
        create.add_argument(
            "--postal-address",
            default="",
            metavar="ADDRESS",
            help=_("the postal address to answer to (required when there is no email address)"),
        )
        create.add_argument(
            "--details", default="", metavar="TEXT", help=_("what the person wrote, in short")
        )
        create.add_argument(
            "--consent-reference",
            default="",
            metavar="ID",
            help=_(
                "the 22-character consent reference the person quotes from the cookie "
                "window, when the request is about their cookie choices"
            ),
        )
        create.add_argument(
            "--language",
            choices=["fr", "en"],
            default="fr",
            help=_("the language of the answers (default: fr)"),
        )

        listing = action(
            "list",
            _("list the open requests by due date, overdue ones flagged"),
            _(
                "List the open requests, the soonest due first: reference, day received, day the "
                "answer is due (the extended day when it was extended), state, rights asked, and "
                "flags: OVERDUE when the due day has passed, due soon when it is within 7 days, "
                "extended. The states: unverified (waiting for the person to follow the emailed "
                "link, or for you to record another check with `verify`), verified, refused, "
                "closed. No name or address is printed."
            ),
            reference=False,
        )
        which = listing.add_mutually_exclusive_group()
        which.add_argument(
            "--overdue", action="store_true", help=_("only the requests whose due day has passed")
        )
        which.add_argument(
            "--all", action="store_true", help=_("the closed and refused requests too")
        )

        show = action(
            "show",
            _("print one request with its timeline"),
            _(
                "Print one request: its reference, how it came, its language, the rights asked, "
                "its dates and state, what the person told us (name, addresses, details), the "
                "restrictions held for the person, and its timeline (every step: when, what, by "
                "whom, a note). Reading it is recorded in the audit log."
            ),
        )
        show.add_argument(
            "--json", action="store_true", help=str(JSON_HELP) % {"format": JSON_FORMAT}
        )

        verify = action(
            "verify",
            _("record how you verified the person's identity"),
            _(
                "Record that you verified the identity of the person otherwise than by the "
                "emailed link (a letter with its proof, a known correspondent), and how. From then "
                "on the rights can be carried out. Ask for no more proof than needed."
            ),
        )
        verify.add_argument(
            "--how",
            required=True,
            metavar="TEXT",
            help=_(
                'how the identity was verified, e.g. "signed letter, address on file"; write '
                "no personal value (no address, no document number)"
            ),
        )

        extend = action(
            "extend",
            _("extend the answer's deadline, with reasons"),
            _(
                "Extend the deadline by the period the published policy declares (at most two "
                "more months), when the request is complex or one of many. Allowed once, only "
                "before the first due day has passed, and only with reasons, which the worker "
                "emails to the person."
            ),
        )
        extend.add_argument(
            "--reason",
            required=True,
            metavar="TEXT",
            help=_("why more time is needed; the person reads it"),
        )

        reject = action(
            "reject",
            _("refuse a manifestly unfounded or excessive request, with reasons"),
            _(
                "Refuse a request that is manifestly unfounded or excessive (for example repeated "
                "again and again) and close it. The worker emails the person the reasons, their "
                "right to complain to the supervisory authority and to seek a judicial remedy."
            ),
        )
        reject.add_argument(
            "--reason",
            required=True,
            metavar="TEXT",
            help=_("why the request is refused; the person reads it"),
        )

        action(
            "close",
            _("close a request once answered"),
            _(
                "Close a request once it is answered (or when the person never confirmed it). Its "
                "proof of identity, if one was sent, is destroyed now; the request and its "
                "timeline are kept as the record of the answer."
            ),
        )

        restrict = action(
            "restrict",
            _("restrict the processing of the person's data (kept, not used)"),
            _(
                "Restrict the processing of the person's data (Art. 18): it is kept but not used "
                "(no newsletter, no sending to processors) until you lift it. With the grounds "
                "unlawful or legal_claims the retention purge keeps it too. The worker emails the "
                "person that it is done."
            ),
        )
        restrict.add_argument(
            "--ground",
            choices=Restriction.Ground.values,
            default=Restriction.Ground.ACCURACY,
            help=_(
                "why: accuracy (the person contests it, while you check), unlawful (they "
                "oppose its erasure), legal_claims (they need it for a claim), objection (while "
                "you examine their objection); default: accuracy"
            ),
        )
        restrict.add_argument(
            "--activity",
            default=None,
            metavar="ID",
            help=_("only this activity of the policy, e.g. contact (default: every activity)"),
        )

        unrestrict = action(
            "unrestrict",
            _("lift a restriction; the person is told first"),
            _(
                "Lift a restriction of processing. The person must be told before it is lifted "
                "(Art. 18(3)): the worker emails them, and lifts the restriction right after the "
                "mail server accepted the notice."
            ),
        )
        unrestrict.add_argument(
            "--activity",
            default=None,
            metavar="ID",
            help=_("the activity the restriction is about (default: the one on every activity)"),
        )

        export = action(
            "export",
            _("send the person their data (access, or portability with --portability)"),
            _(
                "Answer an access request: the worker emails the person a single-use link, valid "
                "14 days, to a package of everything held about them (a readable letter and the "
                "data as JSON), or tells them plainly that nothing is held. With --portability the "
                "package holds the data they provided, as JSON and CSV."
            ),
        )
        export.add_argument(
            "--portability",
            action="store_true",
            help=_("the data the person provided, in a reusable format (Art. 20)"),
        )

        erase = action(
            "erase",
            _("erase the person's data"),
            _(
                "Erase everything held about the person (or about one activity), the sign-ups "
                "still waiting for their confirmation and the cookie proofs of a quoted consent "
                "reference. The processors holding a copy are told through the worker, which "
                "also emails the person that it is done. The request itself is kept, as the "
                "record of the answer."
            ),
        )
        erase.add_argument(
            "--activity",
            default=None,
            metavar="ID",
            help=_("only this activity of the policy, e.g. contact (default: everything)"),
        )

        objection = action(
            "object",
            _("apply the person's objection to one activity"),
            _(
                "Apply an objection (Art. 21) to one activity. To the newsletter: unsubscribed at "
                "once. To an activity based on a legitimate interest or a public task: its data "
                "is erased, unless you give compelling legitimate grounds with --compelling; then "
                "it is restricted while they are examined. The worker emails the person."
            ),
        )
        objection.add_argument(
            "--activity",
            required=True,
            metavar="ID",
            help=_("the activity of the policy the person objects to, e.g. newsletter"),
        )
        objection.add_argument(
            "--compelling",
            default="",
            metavar="TEXT",
            help=_("the compelling legitimate grounds that may override the objection"),
        )

        action(
            "withdraw",
            _("withdraw the person's consent (newsletter, cookie choices)"),
            _(
                "Withdraw the person's consent, as the newsletter's unsubscribe link and the "
                "cookie window would: unsubscribed, their pending sign-ups forgotten, and a "
                "withdrawal recorded for a quoted consent reference. The worker emails the "
                "person that it is done."
            ),
        )

    # --- dispatch -------------------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["action"]
        try:
            now = clock.parse_instant(options["now"]) if options["now"] else None
        except clock.ClockError as exc:
            raise InputError(str(exc)) from None
        if now is not None and name in CHANGES and settings.PRODUCTION:
            raise InputError(
                _(
                    "--now is refused in production for an action that changes a request: the "
                    "dates on the case and in the audit log must be the real ones. Run it "
                    "without --now (`list` and `show` accept it)."
                )
            )
        handler: Callable[[dict[str, Any], dt.datetime | None], None] = getattr(self, f"_{name}")
        frozen: AbstractContextManager[object] = (
            clock.frozen(now) if now is not None and name in CHANGES else nullcontext()
        )
        with frozen:
            try:
                handler(options, now)
            except (services.RightsError, VaultError) as exc:
                raise CommandError(
                    _("%(problem)s Nothing was changed.") % {"problem": exc}
                ) from None

    def _request(self, options: dict[str, Any]) -> RightsRequest:
        reference = options["reference"]
        request = services.by_reference(reference)
        if request is None:
            raise CommandError(
                _(
                    "No request has the reference “%(reference)s”. Copy it again from "
                    "`gardien rights list --all` or from the person's email; a reference looks "
                    "like R-7KX2M9QWPD."
                )
                % {"reference": reference.strip()[:40]}
            )
        return request

    def _activity(self, activity: str | None) -> str | None:
        """The activity named by --activity, checked against the published policy."""
        if activity is None:
            return None
        from gardien.policy import services as policy

        manifest = policy.published_manifest()
        if manifest is None:
            raise CommandError(_("No policy is published: run `gardien policy publish` first."))
        known = [a.id for a in manifest.activities]
        if activity not in known:
            raise InputError(
                _("The published policy has no activity “%(activity)s”. Use one of: %(known)s.")
                % {"activity": activity[:40], "known": ", ".join(known)}
            )
        return activity

    def _done(self, request: RightsRequest, what: str) -> None:
        """How the person hears of it."""
        if request.email or request.reply_email:
            self.stdout.write(_("The worker emails the person %(what)s.") % {"what": what})
        else:
            self.stdout.write(
                _(
                    "This request has no email address: tell the person %(what)s by post, to "
                    "the postal address on the request."
                )
                % {"what": what}
            )

    # --- intake ---------------------------------------------------------------------------

    def _create(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        try:
            received = _received(options["received"])
        except clock.ClockError as exc:
            raise InputError(f"--received: {exc}") from None
        email = options["email"].strip()
        if options["channel"] == "email" and not email:
            raise InputError(
                _(
                    "A request received by email has an address: give it with --email (and the "
                    "address it came from with --from, when it is another). Nothing was filed."
                )
            )
        consent_reference = options["consent_reference"].strip()
        if consent_reference:
            from gardien.consent.services import CONSENT_ID

            if not CONSENT_ID.fullmatch(consent_reference):
                raise InputError(
                    _(
                        "--consent-reference is not a consent reference: it has exactly 22 "
                        "letters, digits, “-” or “_”, as the cookie window shows it. Nothing "
                        "was filed."
                    )
                )
        request = services.create(
            channel=options["channel"],
            received_at=received,
            rights=options["rights"],
            actor=Actor.system(),
            lang=options["language"],
            email=email,
            reply_email=options["reply_email"].strip(),
            last_name=options["last_name"].strip(),
            first_name=options["first_name"].strip(),
            postal_address=options["postal_address"].strip(),
            details=options["details"].strip(),
            consent_reference=consent_reference,
        )
        ref = {"ref": request.reference}
        self.stdout.write(
            _("Filed request %(ref)s (%(channel)s, received %(day)s): %(rights)s.")
            % {
                **ref,
                "channel": request.channel,
                "day": _when(request.received_at),
                "rights": ", ".join(request.rights),
            }
        )
        if request.email:
            self.stdout.write(
                _(
                    "The worker emails the address concerned the reference and the link that "
                    "confirms the request; nothing is disclosed or changed before it is "
                    "followed, or before you record another check with "
                    '`gardien rights verify %(ref)s --how "…"`.'
                )
                % ref
            )
        else:
            self.stdout.write(
                _(
                    "No email address: acknowledge it by post. Once you have checked the "
                    "person's identity, record how with "
                    '`gardien rights verify %(ref)s --how "…"`.'
                )
                % ref
            )
        if request.reply_email:
            self.stdout.write(_("The address it came from gets a plain acknowledgement only."))
        if request.due_at < clock.now():
            self.stdout.write(_("The due day has passed already: answer this request now."))
        self.stdout.write(
            _("Reference %(ref)s, answer due by %(day)s (%(zone)s).")
            % {**ref, "day": _day(request.due_at), "zone": when.zone()}
        )

    # --- reading --------------------------------------------------------------------------

    def _list(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        moment = now or clock.now()
        rows = services.queue(moment)
        open_count = len(rows)
        overdue = sum(q.overdue for q in rows)
        soon = sum(q.due_soon for q in rows)
        if options["overdue"]:
            rows = [q for q in rows if q.overdue]
        lines = [(q.request, q.overdue, q.due_soon) for q in rows]
        closed: list[RightsRequest] = []
        if options["all"]:
            closed = list(
                RightsRequest.objects.filter(closed_at__isnull=False).order_by("due_at", "pk")
            )
            lines += [(r, False, False) for r in closed]
        if lines:
            self.stdout.write(
                "{:<13} {:<10} {:<10} {:<10} {:<30} {}".format(
                    _("Reference"), _("Received"), _("Due"), _("State"), _("Rights"), _("Flags")
                )
            )
        for request, is_overdue, is_soon in lines:
            flags = []
            if is_overdue:
                flags.append(_("OVERDUE"))
            if is_soon:
                flags.append(_("due soon"))
            if request.extended_to is not None:
                flags.append(_("extended"))
            self.stdout.write(
                f"{request.reference:<13} {_day(request.received_at):<10} "
                f"{_day(request.deadline):<10} {request.state:<10} "
                f"{', '.join(request.rights):<30} {', '.join(flags)}".rstrip()
            )
        numbers = {
            "open": open_count,
            "overdue": overdue,
            "soon": soon,
            "days": services.DUE_SOON.days,
            "closed": len(closed),
            "as_of": _when(moment),
        }
        if options["overdue"]:
            summary = ngettext(
                "%(overdue)d overdue of %(open)d open request as of %(as_of)s.",
                "%(overdue)d overdue of %(open)d open requests as of %(as_of)s.",
                open_count,
            )
        else:
            summary = ngettext(
                "%(open)d open request as of %(as_of)s: %(overdue)d overdue, %(soon)d due "
                "within %(days)d days",
                "%(open)d open requests as of %(as_of)s: %(overdue)d overdue, %(soon)d due "
                "within %(days)d days",
                open_count,
            )
            summary += _("; %(closed)d closed.") if options["all"] else "."
        self.stdout.write(summary % numbers)

    def _show(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        moment = now or clock.now()
        deadline = request.deadline
        is_open = request.closed_at is None
        overdue = is_open and deadline < moment
        due_soon = is_open and moment <= deadline < moment + services.DUE_SOON
        events = list(request.events.all())
        document = IdentityDocument.objects.filter(request=request).first()
        restrictions = list(
            Restriction.objects.filter(person_id=request.person_id).order_by("activity")
            if request.person_id is not None
            else []
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    _as_json(request, events, document, restrictions, overdue, due_soon),
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            self._print_case(request, events, document, restrictions, overdue, due_soon)
        record(
            actor=Actor.system(),
            action="view",
            target_type=RightsRequest._meta.label_lower,
            target_ref=str(request.pk),
            reason=f"{services.ACTIVITY}: {request.reference} gardien rights show",
        )

    def _print_case(
        self,
        request: RightsRequest,
        events: list[Any],
        document: IdentityDocument | None,
        restrictions: list[Restriction],
        overdue: bool,
        due_soon: bool,
    ) -> None:
        write = self.stdout.write
        flags = "  " + _("OVERDUE") if overdue else ("  " + _("due soon") if due_soon else "")
        write(
            _("Request %(ref)s: %(state)s")
            % {"ref": request.reference, "state": request.get_state_display()}
            + flags
        )

        def field(label: str, value: object) -> None:
            write(f"  {label:<16}{value}")

        field(
            _("Received"),
            _("%(when)s, by %(channel)s")
            % {"when": _when(request.received_at), "channel": request.channel},
        )
        field(_("Language"), request.lang)
        field(_("Rights"), ", ".join(request.rights))
        field(_("Answer due"), _day(request.due_at))
        if request.extended_to is not None:
            field(_("Extended to"), f"{_day(request.extended_to)}: {request.extension_reason}")
        field(_("Verified"), _when(request.verified_at))
        field(_("Answered"), _when(request.answered_at))
        field(_("Closed"), _when(request.closed_at))
        if request.refusal_reason:
            field(_("Refused because"), request.refusal_reason)
        name = " ".join(p for p in (request.first_name, request.last_name) if p)
        field(_("Name"), name or "—")
        field(_("Email"), request.email or "—")
        if request.reply_email:
            field(_("Came from"), request.reply_email)
        field(_("Postal address"), request.postal_address or "—")
        if request.consent_reference:
            field(_("Consent ref."), request.consent_reference)
        if request.details:
            field(_("Details"), request.details)
        if request.doubt_reason:
            field(_("Doubt recorded"), request.doubt_reason)
        if document is not None:
            write(
                "  "
                + _("Proof of identity asked %(asked)s, received %(received)s")
                % {"asked": _when(document.asked_at), "received": _when(document.uploaded_at)}
            )
        for held in restrictions:
            field(
                _("Restricted"),
                _("%(activity)s (ground %(ground)s, since %(since)s)")
                % {
                    "activity": held.activity or _("every activity"),
                    "ground": held.ground,
                    "since": _when(held.since),
                },
            )
        write(_("Timeline:"))
        for step in events:
            note = f"  — {step.note}" if step.note else ""
            by = _("(by %(actor)s)") % {"actor": step.actor}
            write(f"  {_when(step.at)}  {step.kind.replace('_', ' ')}  {by}{note}")
        write(
            ngettext(
                "Request %(ref)s: %(count)d step; this reading is recorded in the audit log.",
                "Request %(ref)s: %(count)d steps; this reading is recorded in the audit log.",
                len(events),
            )
            % {"ref": request.reference, "count": len(events)}
        )

    # --- deadlines and end ----------------------------------------------------------------

    def _verify(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        how = " ".join(options["how"].split())  # one line on the timeline and in the audit log
        if "@" in how:
            raise InputError(
                _(
                    "--how is kept on the timeline, which names no one: say how without an "
                    "email address. Nothing was changed."
                )
            )
        request = services.mark_verified(request, actor=Actor.system(), how=how)
        if request.person_id is not None:
            held = _("Gardien holds data under the address concerned.")
        elif request.email:
            held = _("Gardien holds no data under the address concerned.")
        else:
            held = _(
                "The request has no email address, so Gardien cannot tie it to the data it "
                "holds: look for it by hand."
            )
        self.stdout.write(held)
        self.stdout.write(
            _("Verified request %(ref)s: its rights can now be carried out.")
            % {"ref": request.reference}
        )

    def _extend(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = services.extend(
            self._request(options), reason=options["reason"], actor=Actor.system()
        )
        self._done(request, _("the new date and the reasons"))
        assert request.extended_to is not None
        self.stdout.write(
            _("Extended request %(ref)s: the answer is due by %(new)s instead of %(old)s.")
            % {
                "ref": request.reference,
                "new": _day(request.extended_to),
                "old": _day(request.due_at),
            }
        )

    def _reject(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = services.refuse(
            self._request(options), reason=options["reason"], actor=Actor.system()
        )
        self._done(
            request,
            _(
                "the reasons, with their right to complain to the supervisory authority and to "
                "seek a judicial remedy"
            ),
        )
        self.stdout.write(_("Refused and closed request %(ref)s.") % {"ref": request.reference})

    def _close(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        had_document = IdentityDocument.objects.filter(request=request).exists()
        unanswered = request.answered_at is None
        request = services.close(request, actor=Actor.system())
        if had_document:
            self.stdout.write(_("Its proof of identity was destroyed."))
        if unanswered:
            self.stdout.write(
                _("Nothing was sent from Gardien to answer it: make sure the person was answered.")
            )
        self.stdout.write(_("Closed request %(ref)s.") % {"ref": request.reference})

    # --- carrying out the rights ----------------------------------------------------------

    def _export(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        kind = "portability" if options["portability"] else "access"
        if not request.email and request.state == RightsRequest.State.VERIFIED:
            raise CommandError(
                _(
                    "This request has no email address concerned, so no download link can be "
                    "sent: answer it by post. Nothing was changed."
                )
            )
        fulfil.send_package(request, kind=kind, actor=Actor.system())
        self.stdout.write(
            _(
                "The worker emails the address concerned a single-use link to the package, "
                "valid %(days)d days, or tells the person that nothing is held about them."
            )
            % {"days": fulfil.LINK_LIFETIME.days}
        )
        self.stdout.write(
            _("Answered request %(ref)s (%(kind)s).") % {"ref": request.reference, "kind": kind}
        )

    def _erase(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        activity = self._activity(options["activity"])
        counts = fulfil.erase(request, actor=Actor.system(), activity=activity)
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(_("The processors holding a copy are told through the worker."))
        self._done(request, _("that the erasure is done"))
        total = sum(counts.values())
        values = {"count": total, "activity": activity, "ref": request.reference}
        if activity:
            text = ngettext(
                "Erased %(count)d record of the activity %(activity)s for request %(ref)s.",
                "Erased %(count)d records of the activity %(activity)s for request %(ref)s.",
                total,
            )
        else:
            text = ngettext(
                "Erased %(count)d record for request %(ref)s.",
                "Erased %(count)d records for request %(ref)s.",
                total,
            )
        self.stdout.write(text % values)

    def _restrict(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        activity = self._activity(options["activity"])
        restricted = fulfil.restrict(
            request, actor=Actor.system(), ground=options["ground"], activity=activity
        )
        if not restricted:
            self.stdout.write(
                _(
                    "Gardien holds no data about the person of request %(ref)s: nothing to "
                    "restrict (recorded on its timeline)."
                )
                % {"ref": request.reference}
            )
            return
        self._done(request, _("that the restriction is in place"))
        scope = (
            _("the activity %(activity)s") % {"activity": activity}
            if activity
            else _("every activity")
        )
        self.stdout.write(
            _("Restricted the processing for request %(ref)s (%(scope)s, ground %(ground)s).")
            % {"ref": request.reference, "scope": scope, "ground": options["ground"]}
        )

    def _unrestrict(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        activity = self._activity(options["activity"])
        held = (
            request.person_id is not None
            and Restriction.objects.filter(
                person_id=request.person_id, activity=activity or Restriction.ALL
            ).exists()
        )
        if not held:
            scope = (
                _("the activity %(activity)s") % {"activity": activity}
                if activity
                else _("every activity")
            )
            raise CommandError(
                _(
                    "No restriction on %(scope)s is held for request %(ref)s; "
                    "`gardien rights show %(ref)s` lists the restrictions held. Nothing was "
                    "changed."
                )
                % {"scope": scope, "ref": request.reference}
            )
        fulfil.lift(request, actor=Actor.system(), activity=activity)
        self.stdout.write(
            _(
                "The person is told first: the worker emails them, then lifts the restriction "
                "once the mail server accepted the notice."
            )
        )
        self.stdout.write(
            _("Announced the lifting of the restriction of request %(ref)s.")
            % {"ref": request.reference}
        )

    def _object(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        activity = self._activity(options["activity"])
        assert activity is not None
        done = fulfil.object_to(
            request, activity=activity, actor=Actor.system(), compelling=options["compelling"]
        )
        said = {
            "unsubscribed": _("the person is unsubscribed from the newsletter"),
            "restricted": _("its data is restricted while the compelling grounds are examined"),
            "erased": _("its data about the person is erased"),
        }[done]
        self._done(request, _("what was done"))
        self.stdout.write(
            _("Objection to %(activity)s for request %(ref)s: %(said)s.")
            % {"activity": activity, "ref": request.reference, "said": said}
        )

    def _withdraw(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        fulfil.withdraw(request, actor=Actor.system())
        self._done(request, _("that the consent is withdrawn"))
        self.stdout.write(
            _("Withdrew the consent for request %(ref)s.") % {"ref": request.reference}
        )


def _as_json(
    request: RightsRequest,
    events: list[Any],
    document: IdentityDocument | None,
    restrictions: list[Restriction],
    overdue: bool,
    due_soon: bool,
) -> dict[str, Any]:
    return {
        "format": JSON_FORMAT,
        "reference": request.reference,
        "state": request.state,
        "channel": request.channel,
        "language": request.lang,
        "rights": list(request.rights),
        "received_at": _iso(request.received_at),
        "due_at": _iso(request.due_at),
        "extended_to": _iso(request.extended_to),
        "deadline": _iso(request.deadline),
        "verified_at": _iso(request.verified_at),
        "answered_at": _iso(request.answered_at),
        "closed_at": _iso(request.closed_at),
        "overdue": overdue,
        "due_soon": due_soon,
        "requester": {
            "last_name": request.last_name,
            "first_name": request.first_name,
            "email": request.email,
            "from_email": request.reply_email,
            "postal_address": request.postal_address,
        },
        "details": request.details,
        "consent_reference": request.consent_reference,
        "extension_reason": request.extension_reason,
        "refusal_reason": request.refusal_reason,
        "doubt_reason": request.doubt_reason,
        "identity_document": (
            {"asked_at": _iso(document.asked_at), "uploaded_at": _iso(document.uploaded_at)}
            if document is not None
            else None
        ),
        "restrictions": [
            {"activity": r.activity or None, "ground": r.ground, "since": _iso(r.since)}
            for r in restrictions
        ],
        "timeline": [
            {"at": _iso(e.at), "what": e.kind, "by": e.actor, "note": e.note} for e in events
        ],
    }
