"""Carrying out a verified request, through the personal-data registry so that every
activity is covered: access, portability, erasure, restriction, objection, withdrawal.

    from gardien.rights import fulfil

    fulfil.send_package(request, actor=…)       # access / portability: a single-use link
    fulfil.package(request, kind)               # the files behind the link (zip bytes)
    fulfil.erase(request, actor=…)              # every record, the processors told
    fulfil.restrict(request, actor=…, ground=…) / fulfil.lift(request, actor=…)
    fulfil.object_to(request, activity, actor=…, compelling="")
    fulfil.withdraw(request, actor=…)

Each step is audited by the vault or here, written to the case's timeline (no personal
value), and tells the person by email when it is done.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import secrets
import zipfile
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gardien.audit.services import Actor
from gardien.lib import clock
from gardien.lib.spreadsheet import csv_writer
from gardien.policy import document
from gardien.policy import services as policy
from gardien.processors.outbox import enqueue
from gardien.rights import recipients
from gardien.rights.models import ACTIVITY, DownloadLink, Right, RightsRequest
from gardien.rights.services import RightsError, _audit, authority_name, event
from gardien.vault import services as vault
from gardien.vault.models import Restriction

logger = logging.getLogger("gardien.rights")

#: Sent by :func:`erase` inside its transaction, before it forgets what is kept by address or
#: by consent reference rather than by person, with ``email`` and ``consent_reference`` (""
#: when the request has none): a restore of an earlier backup forgets them again.
forgetting_unlinked = Signal()

#: How long a download link lasts.
LINK_LIFETIME = dt.timedelta(days=14)


def _verified(request: RightsRequest) -> None:
    if request.closed_at is not None:
        raise RightsError(_("This request is closed; open a new one to act again."))
    if request.state != RightsRequest.State.VERIFIED:
        raise RightsError(
            _(
                "The person's identity is not verified yet: nothing about them may be "
                "disclosed or changed. Wait for the link to be confirmed, or record how "
                "you verified it."
            )
        )


def _person(request: RightsRequest) -> Any:
    """The person the request is about, looked up again (the data may have changed)."""
    if request.person_id is not None:
        return vault.person_by_id(request.person_id)
    return vault.find_person(request.email) if request.email else None


# --- access and portability -------------------------------------------------------------


def send_package(request: RightsRequest, *, kind: str, actor: Actor) -> None:
    """Send the person a single-use link to their package (or, when we hold nothing about
    them, say so plainly)."""
    from gardien.rights import tasks

    _verified(request)
    if kind not in DownloadLink.Kind.values:
        raise RightsError(_("The package is either access or portability."))
    if not request.email and not request.reply_email:
        raise RightsError(
            _(
                "This request has no email address: the package cannot be sent by a link. "
                "Answer by post."
            )
        )
    with transaction.atomic():
        enqueue(tasks.send_package_link, request.pk, kind)
        event(request, f"{kind}_sent", actor)
        _audit(actor, f"answer_{kind}", request)
        RightsRequest.objects.filter(pk=request.pk, answered_at__isnull=True).update(
            answered_at=clock.now()
        )


def new_link(request: RightsRequest, kind: str) -> str:
    """Issue a download link (only its hash is kept); it works once, until it expires."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    DownloadLink.objects.create(
        request=request,
        kind=kind,
        token_sha256=hashlib.sha256(token.encode()).hexdigest(),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    return token


def link_for(token: str) -> DownloadLink | None:
    if not token or len(token) > 100:
        return None
    return (
        DownloadLink.objects.select_related("request")
        .filter(
            token_sha256=hashlib.sha256(token.encode()).hexdigest(),
            used_at__isnull=True,
            expires_at__gt=clock.now(),
        )
        .first()
    )


def download(token: str) -> tuple[str, bytes] | None:
    """The package behind a link, which is used up; None when the link is unknown, used or
    expired. Each download is audited."""
    with transaction.atomic():
        link = link_for(token)
        if link is None:
            return None
        used = DownloadLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            used_at=clock.now()
        )
        if not used:
            return None
        request = link.request
        body = package(request, link.kind)
        actor = Actor.subject(str(request.person_id)) if request.person_id else Actor.system()
        event(request, f"{link.kind}_downloaded", actor)
        _audit(actor, "download", request, link.kind)
    return f"{request.reference}-{link.kind}.zip", body


def holdings_exist(request: RightsRequest) -> bool:
    return _person(request) is not None


def holdings(request: RightsRequest) -> dict[str, Any] | None:
    """Everything held about the person, grouped by activity (vault.export); None when we
    hold nothing about them."""
    person = _person(request)
    if person is None:
        return None
    return vault.export(person, actor=Actor.system(), reason=f"{ACTIVITY}: {request.reference}")


def package(request: RightsRequest, kind: str) -> bytes:
    """The zip the link delivers: a readable letter (HTML) and the data as JSON; for
    portability, the data the person provided as JSON and CSV (docs/rights.md)."""
    data = holdings(request)
    manifest = policy.published_manifest()
    assert manifest is not None
    lang = request.lang
    with translation.override(lang):
        views = {a.id: a for a in document.activities(manifest, lang)}
        held = (data or {}).get("activities", {})
        sections = [
            {
                "activity": views.get(activity_id),
                "id": _("Your contact details") if activity_id == "identity" else activity_id,
                "rows": rows,
            }
            for activity_id, rows in held.items()
        ]
        letter = render_to_string(
            "rights/package/access.html",
            {
                "request": request,
                "manifest": manifest,
                "authority_name": authority_name(manifest, lang),
                "sections": sections,
                "nothing": data is None,
                "generated": timezone.localtime(clock.now()),
                "portability": kind == DownloadLink.Kind.PORTABILITY,
            },
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("letter.html", letter)
        pdf = letter_pdf(letter)
        if pdf is not None:
            archive.writestr("letter.pdf", pdf)
        if kind == DownloadLink.Kind.PORTABILITY:
            provided = _provided(data)
            archive.writestr("data.json", json.dumps(provided, ensure_ascii=False, indent=2))
            archive.writestr("data.csv", _csv(provided))
        else:
            archive.writestr("data.json", json.dumps(data or {}, ensure_ascii=False, indent=2))
    return out.getvalue()


def letter_pdf(letter: str) -> bytes | None:
    """The letter as PDF (WeasyPrint, no network: nothing is fetched); None, with a warning
    in the log, when the system lacks the Pango library WeasyPrint draws with."""
    try:
        from weasyprint import HTML
    except OSError:  # the Python package is installed, the system library is not
        logger.warning("The access letter is sent without its PDF: install Pango (WeasyPrint).")
        return None

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError("the letter loads nothing")

    return bytes(HTML(string=letter, url_fetcher=no_fetch).write_pdf())


def _provided(data: dict[str, Any] | None) -> dict[str, Any]:
    """What the person gave us themselves (Art. 20): the registered fields of their records,
    without Gardien's own bookkeeping."""
    provided: dict[str, list[dict[str, Any]]] = {}
    for activity_id, rows in (data or {}).get("activities", {}).items():
        kept = []
        for row in rows:
            values = {k: v for k, v in row.items() if k not in ("record", "id") and v}
            if values:
                kept.append(values)
        if kept:
            provided[activity_id] = kept
    return {"format": "gardien-portability/1", "activities": provided}


def _csv(provided: dict[str, Any]) -> bytes:
    """One line per value: activity, record number, field, value (UTF-8 with a BOM)."""
    text = io.StringIO()
    writer = csv_writer(text, delimiter=";")
    writer.writerow(["activity", "record", "field", "value"])
    for activity_id, rows in provided["activities"].items():
        for number, row in enumerate(rows, start=1):
            for name, value in row.items():
                cell = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                writer.writerow([activity_id, number, name, cell])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


# --- erasure, restriction, objection, withdrawal ------------------------------------------


def erase(request: RightsRequest, *, actor: Actor, activity: str | None = None) -> dict[str, int]:
    """Erase every registered record of the person (or of one activity), the pending
    sign-ups of their address and the cookie proofs of a quoted consent reference; each
    processor that holds a copy is told through the outbox in the same transaction. The
    request itself is kept (the record of the answer), with its pseudonymous timeline."""
    from gardien.rights import tasks

    _verified(request)
    counts: dict[str, int] = {}
    with transaction.atomic():
        person = _person(request)
        if person is not None:
            RightsRequest.objects.filter(person=person).update(person=None)
            recipients.notify(request, Right.ERASURE, actor=actor, activity=activity, person=person)
            counts = vault.erase(
                person,
                actor=actor,
                reason=f"{ACTIVITY}: {request.reference}",
                activity=activity,
            )
        counts.update(_forget_unlinked(request))
        total = sum(counts.values())
        event(request, "erased", actor, note=_("%(n)d records") % {"n": total})
        _audit(actor, "answer_erasure", request, f"{total} records")
        enqueue(tasks.send_done, request.pk, Right.ERASURE)
    return counts


def _forget_unlinked(request: RightsRequest) -> dict[str, int]:
    """What is kept by address or by consent reference rather than by person."""
    from gardien.consent import services as consent
    from gardien.newsletter import services as newsletter

    counts: dict[str, int] = {}
    forgetting_unlinked.send(
        sender=RightsRequest, email=request.email, consent_reference=request.consent_reference
    )
    if request.email:
        counts["newsletter.pendingsignup"] = newsletter.forget_signups(request.email)
    if request.consent_reference:
        counts["consent.consentrecord"] = consent.forget(request.consent_reference)
    return {k: v for k, v in counts.items() if v}


def restrict(
    request: RightsRequest,
    *,
    actor: Actor,
    ground: str = Restriction.Ground.ACCURACY,
    activity: str | None = None,
) -> bool:
    """Restrict processing (Art. 18): kept, not processed (no newsletter, no processor
    sync). False when we hold nothing about the person."""
    from gardien.rights import tasks

    _verified(request)
    with transaction.atomic():
        person = _person(request)
        if person is None:
            event(request, "restriction_nothing_held", actor)
            return False
        vault.restrict(
            person,
            actor=actor,
            reason=f"{ACTIVITY}: {request.reference}",
            activity=activity,
            ground=ground,
        )
        recipients.notify(request, Right.RESTRICTION, actor=actor, activity=activity, person=person)
        event(request, "restricted", actor, note=ground)
        enqueue(tasks.send_done, request.pk, Right.RESTRICTION)
    return True


def lift(request: RightsRequest, *, actor: Actor, activity: str | None = None) -> None:
    """Lift a restriction: the person is told first (Art. 18(3)); the lifting happens in the
    task that sends the notice, right after the mail server accepted it."""
    from gardien.rights import tasks

    if request.person_id is None:
        raise RightsError(_("No restriction is held for this request."))
    with transaction.atomic():
        enqueue(tasks.notify_then_lift, request.pk, activity or "")
        event(request, "lift_announced", actor)
        _audit(actor, "lift_restriction_announced", request)


def object_to(request: RightsRequest, *, activity: str, actor: Actor, compelling: str = "") -> str:
    """An objection (Art. 21): to the newsletter, immediate and unconditional (unsubscribed,
    the address kept only as the proof's keyed hash); to a processing on legitimate
    interest, the activity's data is erased unless the DPO records compelling grounds (then
    it is restricted while they are examined). Returns what was done."""
    from gardien.newsletter import services as newsletter
    from gardien.policy.notice import OBJECTION_BASES
    from gardien.rights import tasks

    _verified(request)
    manifest = policy.published_manifest()
    try:
        basis = manifest.activity(activity).legal_basis if manifest else ""
    except KeyError:
        raise RightsError(
            _('"%(activity)s" is not an activity of the published policy.') % {"activity": activity}
        ) from None
    if activity != "newsletter" and basis not in OBJECTION_BASES:
        instead = (
            _("Withdraw the consent instead.")
            if basis == "consent"
            else _("Answer the person that it goes on, and why.")
        )
        raise RightsError(
            _(
                "An objection applies to a processing based on a legitimate interest or a "
                "public task, or to direct marketing; this one is not. %(instead)s"
            )
            % {"instead": instead}
        )
    with transaction.atomic():
        person = _person(request)
        if compelling.strip():
            RightsRequest.objects.filter(pk=request.pk).update(grounds=compelling)
        if activity == "newsletter":
            if person is not None:
                newsletter.withdraw(person, how="objection", actor=actor)
            if request.email:
                newsletter.forget_signups(request.email)
            done = "unsubscribed"
        elif compelling.strip():
            if person is not None:
                vault.restrict(
                    person,
                    actor=actor,
                    reason=f"{ACTIVITY}: {request.reference} objection",
                    activity=activity,
                    ground=Restriction.Ground.OBJECTION,
                )
                recipients.notify(
                    request, Right.RESTRICTION, actor=actor, activity=activity, person=person
                )
            done = "restricted"
        else:
            if person is not None:
                recipients.notify(
                    request, Right.ERASURE, actor=actor, activity=activity, person=person
                )
                vault.erase(
                    person,
                    actor=actor,
                    reason=f"{ACTIVITY}: {request.reference} objection",
                    activity=activity,
                )
            done = "erased"
        event(request, f"objection_{done}", actor, note=activity)
        enqueue(tasks.send_done, request.pk, Right.OBJECTION)
    return done


def withdraw(request: RightsRequest, *, actor: Actor) -> None:
    """Withdrawal of consent, with the effect of the newsletter's unsubscribe link and of the
    cookie panel's withdrawal (a withdrawal proof for a quoted consent reference)."""
    from gardien.consent import services as consent
    from gardien.newsletter import services as newsletter
    from gardien.rights import tasks

    _verified(request)
    with transaction.atomic():
        person = _person(request)
        if person is not None:
            newsletter.withdraw(person, how="rights request", actor=actor)
        if request.email:
            newsletter.forget_signups(request.email)
        if request.consent_reference:
            consent.record_withdrawal(request.consent_reference)
        event(request, "withdrawn", actor)
        _audit(actor, "answer_withdrawal", request)
        enqueue(tasks.send_done, request.pk, Right.WITHDRAWAL)
