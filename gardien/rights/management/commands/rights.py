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
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from gardien.audit.services import Actor, record
from gardien.lib import clock
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

REFERENCE_HELP = "the request's reference, as the person was given it, e.g. R-7KX2M9QWPD"

JSON_HELP = (
    "print the case as JSON for a file or another program. Its keys stay as they are under "
    f'"format": "{JSON_FORMAT}": reference, state (unverified, verified, refused, closed), '
    "channel (form, email, post), language, rights (list), received_at, due_at, extended_to, "
    "deadline, verified_at, answered_at, closed_at (ISO 8601 times with their UTC offset, or "
    "null), overdue and due_soon (true/false as of --now), requester (last_name, first_name, "
    "email, from_email, postal_address), details, consent_reference, extension_reason, "
    "refusal_reason, doubt_reason, identity_document (asked_at, uploaded_at, or null), "
    "restrictions held for the person (a list of activity, null for every activity, ground, "
    "since) and timeline (a list of at, what, by, note)"
)


def _day(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d") if moment else "—"


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z") if moment else "—"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


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


class Command(BaseCommand):
    help = (
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
                command.add_argument("reference", metavar="REF", help=REFERENCE_HELP)
            command.add_argument(
                "--now",
                default=None,
                metavar="DATE",
                help="act as if today were this date, e.g. 2027-02-20 (rehearsals and tests; "
                "refused in production for an action that changes a request)",
            )
            return command

        create = action(
            "create",
            "file a request received by email or by post",
            "File a request that reached you by email or by post (the form on the site files "
            "its requests itself). Prints its reference, to quote in every answer, and the "
            "date the answer is due: one calendar month after it was received, as the "
            "published policy says (received on 31 January, due on the last day of February). "
            "When the request gives an email address, the worker sends it the reference and a "
            "link that confirms the request comes from the owner of the address; nothing is "
            "disclosed or changed before that, or before you record another check of the "
            "person's identity with `gardien rights verify`.",
            reference=False,
        )
        create.add_argument(
            "--received",
            required=True,
            metavar="DATE",
            help="the day the request reached you, e.g. 2027-01-31 (the due date counts from "
            "it), or a date and time, e.g. 2027-01-31T09:30:00+01:00",
        )
        create.add_argument(
            "--channel",
            required=True,
            choices=["email", "post"],
            help="how it reached you",
        )
        create.add_argument(
            "--right",
            dest="rights",
            action="append",
            required=True,
            choices=Right.values,
            help="a right the person exercises; repeat it for several, e.g. --right access "
            "--right erasure",
        )
        create.add_argument(
            "--email",
            default="",
            metavar="ADDRESS",
            help="the email address the request is about (the verification link goes there); "
            "required for a request received by email",
        )
        create.add_argument(
            "--from",
            dest="reply_email",
            default="",
            metavar="ADDRESS",
            help="the address the email came from, when it is not the one the request is "
            "about: it gets a plain acknowledgement and nothing else",
        )
        create.add_argument(
            "--last-name", default="", metavar="NAME", help="the person's last name"
        )
        create.add_argument(
            "--first-name", default="", metavar="NAME", help="the person's first name"
        )
        create.add_argument(
            "--postal-address",
            default="",
            metavar="ADDRESS",
            help="the postal address to answer to (required when there is no email address)",
        )
        create.add_argument(
            "--details", default="", metavar="TEXT", help="what the person wrote, in short"
        )
        create.add_argument(
            "--consent-reference",
            default="",
            metavar="ID",
            help="the 22-character consent reference the person quotes from the cookie "
            "window, when the request is about their cookie choices",
        )
        create.add_argument(
            "--language",
            choices=["fr", "en"],
            default="fr",
            help="the language of the answers (default: fr)",
        )

        listing = action(
            "list",
            "list the open requests by due date, overdue ones flagged",
            "List the open requests, the soonest due first: reference, day received, day the "
            "answer is due (the extended day when it was extended), state, rights asked, and "
            "flags: OVERDUE when the due day has passed, due soon when it is within 7 days, "
            "extended. The states: unverified (waiting for the person to follow the emailed "
            "link, or for you to record another check with `verify`), verified, refused, "
            "closed. No name or address is printed.",
            reference=False,
        )
        which = listing.add_mutually_exclusive_group()
        which.add_argument(
            "--overdue", action="store_true", help="only the requests whose due day has passed"
        )
        which.add_argument("--all", action="store_true", help="the closed and refused requests too")

        show = action(
            "show",
            "print one request with its timeline",
            "Print one request: its reference, how it came, its language, the rights asked, "
            "its dates and state, what the person told us (name, addresses, details), the "
            "restrictions held for the person, and its timeline (every step: when, what, by "
            "whom, a note). Reading it is recorded in the audit log.",
        )
        show.add_argument("--json", action="store_true", help=JSON_HELP)

        verify = action(
            "verify",
            "record how you verified the person's identity",
            "Record that you verified the identity of the person otherwise than by the "
            "emailed link (a letter with its proof, a known correspondent), and how. From then "
            "on the rights can be carried out. Ask for no more proof than needed.",
        )
        verify.add_argument(
            "--how",
            required=True,
            metavar="TEXT",
            help='how the identity was verified, e.g. "signed letter, address on file"; write '
            "no personal value (no address, no document number)",
        )

        extend = action(
            "extend",
            "extend the answer's deadline, with reasons",
            "Extend the deadline by the period the published policy declares (at most two "
            "more months), when the request is complex or one of many. Allowed once, only "
            "before the first due day has passed, and only with reasons, which the worker "
            "emails to the person.",
        )
        extend.add_argument(
            "--reason",
            required=True,
            metavar="TEXT",
            help="why more time is needed; the person reads it",
        )

        reject = action(
            "reject",
            "refuse a manifestly unfounded or excessive request, with reasons",
            "Refuse a request that is manifestly unfounded or excessive (for example repeated "
            "again and again) and close it. The worker emails the person the reasons, their "
            "right to complain to the supervisory authority and to seek a judicial remedy.",
        )
        reject.add_argument(
            "--reason",
            required=True,
            metavar="TEXT",
            help="why the request is refused; the person reads it",
        )

        action(
            "close",
            "close a request once answered",
            "Close a request once it is answered (or when the person never confirmed it). Its "
            "proof of identity, if one was sent, is destroyed now; the request and its "
            "timeline are kept as the record of the answer.",
        )

        restrict = action(
            "restrict",
            "restrict the processing of the person's data (kept, not used)",
            "Restrict the processing of the person's data (Art. 18): it is kept but not used "
            "(no newsletter, no sending to processors) until you lift it. With the grounds "
            "unlawful or legal_claims the retention purge keeps it too. The worker emails the "
            "person that it is done.",
        )
        restrict.add_argument(
            "--ground",
            choices=Restriction.Ground.values,
            default=Restriction.Ground.ACCURACY,
            help="why: accuracy (the person contests it, while you check), unlawful (they "
            "oppose its erasure), legal_claims (they need it for a claim), objection (while "
            "you examine their objection); default: accuracy",
        )
        restrict.add_argument(
            "--activity",
            default=None,
            metavar="ID",
            help="only this activity of the policy, e.g. contact (default: every activity)",
        )

        unrestrict = action(
            "unrestrict",
            "lift a restriction; the person is told first",
            "Lift a restriction of processing. The person must be told before it is lifted "
            "(Art. 18(3)): the worker emails them, and lifts the restriction right after the "
            "mail server accepted the notice.",
        )
        unrestrict.add_argument(
            "--activity",
            default=None,
            metavar="ID",
            help="the activity the restriction is about (default: the one on every activity)",
        )

        export = action(
            "export",
            "send the person their data (access, or portability with --portability)",
            "Answer an access request: the worker emails the person a single-use link, valid "
            "14 days, to a package of everything held about them (a readable letter and the "
            "data as JSON), or tells them plainly that nothing is held. With --portability the "
            "package holds the data they provided, as JSON and CSV.",
        )
        export.add_argument(
            "--portability",
            action="store_true",
            help="the data the person provided, in a reusable format (Art. 20)",
        )

        erase = action(
            "erase",
            "erase the person's data",
            "Erase everything held about the person (or about one activity), the sign-ups "
            "still waiting for their confirmation and the cookie proofs of a quoted consent "
            "reference. The processors holding a copy are told through the worker, which "
            "also emails the person that it is done. The request itself is kept, as the "
            "record of the answer.",
        )
        erase.add_argument(
            "--activity",
            default=None,
            metavar="ID",
            help="only this activity of the policy, e.g. contact (default: everything)",
        )

        objection = action(
            "object",
            "apply the person's objection to one activity",
            "Apply an objection (Art. 21) to one activity. To the newsletter: unsubscribed at "
            "once. To an activity based on a legitimate interest or a public task: its data "
            "is erased, unless you give compelling legitimate grounds with --compelling; then "
            "it is restricted while they are examined. The worker emails the person.",
        )
        objection.add_argument(
            "--activity",
            required=True,
            metavar="ID",
            help="the activity of the policy the person objects to, e.g. newsletter",
        )
        objection.add_argument(
            "--compelling",
            default="",
            metavar="TEXT",
            help="the compelling legitimate grounds that may override the objection",
        )

        action(
            "withdraw",
            "withdraw the person's consent (newsletter, cookie choices)",
            "Withdraw the person's consent, as the newsletter's unsubscribe link and the "
            "cookie window would: unsubscribed, their pending sign-ups forgotten, and a "
            "withdrawal recorded for a quoted consent reference. The worker emails the "
            "person that it is done.",
        )

    # --- dispatch -------------------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["action"]
        try:
            now = clock.parse_instant(options["now"]) if options["now"] else None
        except clock.ClockError as exc:
            raise CommandError(str(exc)) from None
        if now is not None and name in CHANGES and settings.PRODUCTION:
            raise CommandError(
                "--now is refused in production for an action that changes a request: the "
                "dates on the case and in the audit log must be the real ones. Run it without "
                "--now (`list` and `show` accept it)."
            )
        handler: Callable[[dict[str, Any], dt.datetime | None], None] = getattr(self, f"_{name}")
        frozen: AbstractContextManager[object] = (
            clock.frozen(now) if now is not None and name in CHANGES else nullcontext()
        )
        with translation.override("en"), frozen:
            try:
                handler(options, now)
            except (services.RightsError, VaultError) as exc:
                raise CommandError(f"{exc} Nothing was changed.") from None

    def _request(self, options: dict[str, Any]) -> RightsRequest:
        reference = options["reference"]
        request = services.by_reference(reference)
        if request is None:
            raise CommandError(
                f"No request has the reference “{reference.strip()[:40]}”. Copy it again from "
                "`gardien rights list --all` or from the person's email; a reference looks "
                "like R-7KX2M9QWPD."
            )
        return request

    def _activity(self, activity: str | None) -> str | None:
        """The activity named by --activity, checked against the published policy."""
        if activity is None:
            return None
        from gardien.policy import services as policy

        manifest = policy.published_manifest()
        if manifest is None:
            raise CommandError("No policy is published: run `gardien policy publish` first.")
        known = [a.id for a in manifest.activities]
        if activity not in known:
            raise CommandError(
                f"The published policy has no activity “{activity[:40]}”. Use one of: "
                f"{', '.join(known)}."
            )
        return activity

    def _done(self, request: RightsRequest, what: str) -> None:
        """How the person hears of it."""
        if request.email or request.reply_email:
            self.stdout.write(f"The worker emails the person {what}.")
        else:
            self.stdout.write(
                f"This request has no email address: tell the person {what} by post, to "
                "the postal address on the request."
            )

    # --- intake ---------------------------------------------------------------------------

    def _create(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        try:
            received = _received(options["received"])
        except clock.ClockError as exc:
            raise CommandError(f"--received: {exc}") from None
        email = options["email"].strip()
        if options["channel"] == "email" and not email:
            raise CommandError(
                "A request received by email has an address: give it with --email (and the "
                "address it came from with --from, when it is another). Nothing was filed."
            )
        consent_reference = options["consent_reference"].strip()
        if consent_reference:
            from gardien.consent.services import CONSENT_ID

            if not CONSENT_ID.fullmatch(consent_reference):
                raise CommandError(
                    "--consent-reference is not a consent reference: it has exactly 22 "
                    "letters, digits, “-” or “_”, as the cookie window shows it. Nothing was "
                    "filed."
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
        self.stdout.write(
            f"Filed request {request.reference} ({request.channel}, received "
            f"{_day(request.received_at)}): {', '.join(request.rights)}."
        )
        if request.email:
            self.stdout.write(
                "The worker emails the address concerned the reference and the link that "
                "confirms the request; nothing is disclosed or changed before it is followed, "
                f"or before you record another check with `gardien rights verify "
                f'{request.reference} --how "…"`.'
            )
        else:
            self.stdout.write(
                "No email address: acknowledge it by post. Once you have checked the person's "
                f"identity, record how with `gardien rights verify {request.reference} "
                '--how "…"`.'
            )
        if request.reply_email:
            self.stdout.write("The address it came from gets a plain acknowledgement only.")
        if request.due_at < clock.now():
            self.stdout.write("The due day has passed already: answer this request now.")
        self.stdout.write(f"Reference {request.reference}, answer due by {_day(request.due_at)}.")

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
                f"{'Reference':<13} {'Received':<10} {'Due':<10} {'State':<10} {'Rights':<30} Flags"
            )
        for request, is_overdue, is_soon in lines:
            flags = []
            if is_overdue:
                flags.append("OVERDUE")
            if is_soon:
                flags.append("due soon")
            if request.extended_to is not None:
                flags.append("extended")
            self.stdout.write(
                f"{request.reference:<13} {_day(request.received_at):<10} "
                f"{_day(request.deadline):<10} {request.state:<10} "
                f"{', '.join(request.rights):<30} {', '.join(flags)}".rstrip()
            )
        as_of = f" as of {_when(moment)}" if now is not None else ""
        if options["overdue"]:
            summary = f"{overdue} overdue of {_count(open_count, 'open request')}{as_of}."
        else:
            summary = (
                f"{_count(open_count, 'open request')}{as_of}: {overdue} overdue, {soon} due "
                f"within {services.DUE_SOON.days} days"
            )
            summary += f"; {len(closed)} closed." if options["all"] else "."
        self.stdout.write(summary)

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
        flags = "  OVERDUE" if overdue else ("  due soon" if due_soon else "")
        write(f"Request {request.reference}: {request.get_state_display()}{flags}")
        write(f"  Received        {_when(request.received_at)}, by {request.channel}")
        write(f"  Language        {request.lang}")
        write(f"  Rights          {', '.join(request.rights)}")
        write(f"  Answer due      {_day(request.due_at)}")
        if request.extended_to is not None:
            write(f"  Extended to     {_day(request.extended_to)}: {request.extension_reason}")
        write(f"  Verified        {_when(request.verified_at)}")
        write(f"  Answered        {_when(request.answered_at)}")
        write(f"  Closed          {_when(request.closed_at)}")
        if request.refusal_reason:
            write(f"  Refused because {request.refusal_reason}")
        name = " ".join(p for p in (request.first_name, request.last_name) if p)
        write(f"  Name            {name or '—'}")
        write(f"  Email           {request.email or '—'}")
        if request.reply_email:
            write(f"  Came from       {request.reply_email}")
        write(f"  Postal address  {request.postal_address or '—'}")
        if request.consent_reference:
            write(f"  Consent ref.    {request.consent_reference}")
        if request.details:
            write(f"  Details         {request.details}")
        if request.doubt_reason:
            write(f"  Doubt recorded  {request.doubt_reason}")
        if document is not None:
            write(
                f"  Proof of identity asked {_when(document.asked_at)}, received "
                f"{_when(document.uploaded_at)}"
            )
        for held in restrictions:
            write(
                f"  Restricted      {held.activity or 'every activity'} (ground {held.ground}, "
                f"since {_when(held.since)})"
            )
        write("Timeline:")
        for step in events:
            note = f"  — {step.note}" if step.note else ""
            write(f"  {_when(step.at)}  {step.kind.replace('_', ' ')}  (by {step.actor}){note}")
        write(
            f"Request {request.reference}: {_count(len(events), 'step')}; this reading is "
            "recorded in the audit log."
        )

    # --- deadlines and end ----------------------------------------------------------------

    def _verify(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        how = " ".join(options["how"].split())  # one line on the timeline and in the audit log
        if "@" in how:
            raise CommandError(
                "--how is kept on the timeline, which names no one: say how without an email "
                "address. Nothing was changed."
            )
        request = services.mark_verified(request, actor=Actor.system(), how=how)
        if request.person_id is not None:
            held = "Gardien holds data under the address concerned."
        elif request.email:
            held = "Gardien holds no data under the address concerned."
        else:
            held = (
                "The request has no email address, so Gardien cannot tie it to the data it "
                "holds: look for it by hand."
            )
        self.stdout.write(held)
        self.stdout.write(
            f"Verified request {request.reference}: its rights can now be carried out."
        )

    def _extend(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = services.extend(
            self._request(options), reason=options["reason"], actor=Actor.system()
        )
        self._done(request, "the new date and the reasons")
        assert request.extended_to is not None
        self.stdout.write(
            f"Extended request {request.reference}: the answer is due by "
            f"{_day(request.extended_to)} instead of {_day(request.due_at)}."
        )

    def _reject(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = services.refuse(
            self._request(options), reason=options["reason"], actor=Actor.system()
        )
        self._done(
            request,
            "the reasons, with their right to complain to the supervisory authority and to "
            "seek a judicial remedy",
        )
        self.stdout.write(f"Refused and closed request {request.reference}.")

    def _close(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        had_document = IdentityDocument.objects.filter(request=request).exists()
        unanswered = request.answered_at is None
        request = services.close(request, actor=Actor.system())
        if had_document:
            self.stdout.write("Its proof of identity was destroyed.")
        if unanswered:
            self.stdout.write(
                "Nothing was sent from Gardien to answer it: make sure the person was answered."
            )
        self.stdout.write(f"Closed request {request.reference}.")

    # --- carrying out the rights ----------------------------------------------------------

    def _export(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        kind = "portability" if options["portability"] else "access"
        if not request.email and request.state == RightsRequest.State.VERIFIED:
            raise CommandError(
                "This request has no email address concerned, so no download link can be "
                "sent: answer it by post. Nothing was changed."
            )
        fulfil.send_package(request, kind=kind, actor=Actor.system())
        self.stdout.write(
            "The worker emails the address concerned a single-use link to the package, valid "
            f"{fulfil.LINK_LIFETIME.days} days, or tells the person that nothing is held "
            "about them."
        )
        self.stdout.write(f"Answered request {request.reference} ({kind}).")

    def _erase(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        activity = self._activity(options["activity"])
        counts = fulfil.erase(request, actor=Actor.system(), activity=activity)
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write("The processors holding a copy are told through the worker.")
        self._done(request, "that the erasure is done")
        scope = f" of the activity {activity}" if activity else ""
        self.stdout.write(
            f"Erased {_count(sum(counts.values()), 'record')}{scope} for request "
            f"{request.reference}."
        )

    def _restrict(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        activity = self._activity(options["activity"])
        restricted = fulfil.restrict(
            request, actor=Actor.system(), ground=options["ground"], activity=activity
        )
        if not restricted:
            self.stdout.write(
                f"Gardien holds no data about the person of request {request.reference}: "
                "nothing to restrict (recorded on its timeline)."
            )
            return
        self._done(request, "that the restriction is in place")
        scope = f"the activity {activity}" if activity else "every activity"
        self.stdout.write(
            f"Restricted the processing for request {request.reference} ({scope}, ground "
            f"{options['ground']})."
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
            scope = f"on the activity {activity}" if activity else "on every activity"
            raise CommandError(
                f"No restriction {scope} is held for request {request.reference}; "
                f"`gardien rights show {request.reference}` lists the restrictions held. "
                "Nothing was changed."
            )
        fulfil.lift(request, actor=Actor.system(), activity=activity)
        self.stdout.write(
            "The person is told first: the worker emails them, then lifts the restriction "
            "once the mail server accepted the notice."
        )
        self.stdout.write(
            f"Announced the lifting of the restriction of request {request.reference}."
        )

    def _object(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        activity = self._activity(options["activity"])
        assert activity is not None
        done = fulfil.object_to(
            request, activity=activity, actor=Actor.system(), compelling=options["compelling"]
        )
        said = {
            "unsubscribed": "the person is unsubscribed from the newsletter",
            "restricted": "its data is restricted while the compelling grounds are examined",
            "erased": "its data about the person is erased",
        }[done]
        self._done(request, "what was done")
        self.stdout.write(f"Objection to {activity} for request {request.reference}: {said}.")

    def _withdraw(self, options: dict[str, Any], now: dt.datetime | None) -> None:
        request = self._request(options)
        fulfil.withdraw(request, actor=Actor.system())
        self._done(request, "that the consent is withdrawn")
        self.stdout.write(f"Withdrew the consent for request {request.reference}.")


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
