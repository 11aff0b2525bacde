"""Rights requests, from intake to answer: the one module the form, the back office and
``gardien rights`` go through.

    from gardien.rights import services

    services.receive(data, lang)                     # the hosted form: Received | Refused
    services.create(channel="post", received_at=…, rights=["access"], …, actor=…)
    services.pending_verification(token) / services.verify(token)   # the link in the email
    services.extend(request, reason=…, actor=…)      # before the first due date only
    services.refuse(request, reason=…, actor=…)      # manifestly unfounded or excessive
    services.close(request, actor=…)                 # the identity document is destroyed
    services.queue()                                 # open requests by due date, with flags

**Due dates.** Received + the manifest's ``[rights] response_time`` in calendar months (31
January + 1 month = the last day of February); an extension adds ``[rights] extension`` to
that first due date, only before it passes and only with reasons.

**Identity.** A request is verified by a single-use link sent to the address it is about,
never to another: a request about X that came from Y gets a generic answer at Y, and X gets
the link. Nothing is disclosed before verification, and no answer says whether we hold data
about someone. Only a reasonable doubt, recorded, lets staff ask for a proof of identity.

Every step is audited (pseudonymous ids) and written to the case's timeline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from gardien.audit.services import Actor, record
from gardien.lib import clock, crypto
from gardien.manifest.schema import Activity, Manifest
from gardien.policy import forms as declared_forms
from gardien.policy import services as policy
from gardien.processors.outbox import enqueue
from gardien.rights.models import (
    ACTIVITY,
    CaseEvent,
    Channel,
    IdentityDocument,
    Right,
    RightsRequest,
)
from gardien.vault import services as vault

#: How long a verification link lasts.
VERIFICATION_LIFETIME = dt.timedelta(days=7)
#: A request due within this is flagged "due soon" in the queue and the daily email.
DUE_SOON = dt.timedelta(days=7)
#: The form's fields that are not declared by the manifest: which rights, and the consent
#: reference shown in the cookie panel (a random id, no personal value).
RIGHTS_FIELD = "rights"
CONSENT_REFERENCE_FIELD = "consent_reference"
BODY_LIMIT = 64 * 1024


class RightsError(ValueError):
    """An action that cannot be done on this request; the message says why and what to do."""


@dataclass(frozen=True)
class Received:
    request: RightsRequest


@dataclass(frozen=True)
class Refused:
    status: int
    code: str
    message: str
    fields: dict[str, list[str]] = field(default_factory=dict)


# --- the manifest -----------------------------------------------------------------------


def _published() -> tuple[int, Manifest, Activity] | None:
    current = policy.published()
    if current is None:
        return None
    try:
        activity = current.manifest.activity(ACTIVITY)
    except KeyError:
        return None
    return current.number, current.manifest, activity


def due_date(received_at: dt.datetime, manifest: Manifest) -> dt.datetime:
    """When the answer is due: the manifest's response time after receipt, in calendar
    months, at the end of that day (Art. 12(3): "within one month of receipt")."""
    from django.utils import timezone

    # Counted on the calendar of the organisation (TIME_ZONE), not of UTC.
    due = manifest.rights.response_time.after(timezone.localtime(received_at))
    return _end_of_day(due)


def _end_of_day(moment: dt.datetime) -> dt.datetime:
    from django.utils import timezone

    local = timezone.localtime(moment)
    end = local.replace(hour=23, minute=59, second=59, microsecond=0)
    return end.astimezone(dt.UTC)


# --- the form ---------------------------------------------------------------------------


def intake_fields(activity: Activity) -> list[Any]:
    """The declared fields the hosted form asks: never the identity document."""
    return [f for f in declared_forms.collected(activity) if f.input != "file"]


def form(activity: Activity, lang: str, data: Any = None, initial: Any = None) -> forms.Form:
    """The hosted form: the declared fields, then the rights asked."""
    fields: dict[str, forms.Field] = {
        f.name: declared_forms.form_field(f, lang) for f in intake_fields(activity)
    }
    fields[RIGHTS_FIELD] = forms.MultipleChoiceField(
        label=_("The rights you wish to exercise"),
        choices=Right.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one right.")},
    )
    fields[CONSENT_REFERENCE_FIELD] = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{22}$",
        required=False,
        label=_("Consent reference (optional)"),
        help_text=_(
            "The reference shown in the cookie window of the site, if your request is about "
            "your cookie choices."
        ),
        error_messages={"invalid": _("This is not a consent reference; copy it as shown.")},
    )
    form_class = type("RightsForm", (forms.Form,), fields)
    return form_class(data=data, initial=initial)  # type: ignore[no-any-return]


def receive(
    data: Mapping[str, Any], lang: str, *, also: Callable[[], object] | None = None
) -> Received | Refused:
    """Validate and file one request from the hosted form. Nothing is looked up about the
    person: the answer is the same whoever they are."""
    found = _published()
    if found is None:
        return Refused(404, "no_rights_form", _("This site takes no rights requests here."))
    _version, manifest, activity = found
    known = {f.name for f in intake_fields(activity)} | {RIGHTS_FIELD, CONSENT_REFERENCE_FIELD}
    extra = sorted(k for k in data if k not in known and k not in declared_forms.TRANSPORT_FIELDS)
    if extra:
        return Refused(
            400,
            "undeclared_field",
            _(
                "These fields are not collected by this form, so nothing was kept: %(names)s. "
                "Send only the form's fields."
            )
            % {"names": ", ".join(extra)},
        )
    bound = form(activity, lang, data=data)
    if not bound.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in bound.errors.items()}
        return Refused(
            400, "invalid", _("Some fields need your attention; nothing was kept yet."), errors
        )
    cleaned = bound.cleaned_data
    email_name = declared_forms.email_field(activity) or "email"
    email = cleaned.get(email_name, "")
    postal = cleaned.get("postal_address", "")
    if not email and not postal:
        message = _("Give an email or a postal address, so that we can answer you.")
        return Refused(400, "invalid", message, {email_name: [message]})
    request = create(
        channel=Channel.FORM,
        received_at=clock.now(),
        rights=cleaned[RIGHTS_FIELD],
        email=email,
        last_name=cleaned.get("last_name", ""),
        first_name=cleaned.get("first_name", ""),
        postal_address=postal,
        details=cleaned.get("request", ""),
        consent_reference=cleaned.get(CONSENT_REFERENCE_FIELD, ""),
        lang=lang,
        actor=Actor.system(),
        also=also,
        manifest=manifest,
    )
    return Received(request)


# --- intake -----------------------------------------------------------------------------


def create(
    *,
    channel: str,
    received_at: dt.datetime,
    rights: Iterable[str],
    actor: Actor,
    lang: str = "fr",
    email: str = "",
    reply_email: str = "",
    last_name: str = "",
    first_name: str = "",
    postal_address: str = "",
    details: str = "",
    consent_reference: str = "",
    also: Callable[[], object] | None = None,
    manifest: Manifest | None = None,
) -> RightsRequest:
    """File a request and, in the same transaction, enqueue its acknowledgement (and the
    verification link when it came with an email address)."""
    from gardien.rights import tasks

    chosen = sorted(set(rights))
    unknown = [r for r in chosen if r not in Right.values]
    if not chosen or unknown:
        raise RightsError(
            _("Name at least one right among: %(known)s.") % {"known": ", ".join(Right.values)}
        )
    if channel not in Channel.values:
        raise RightsError(
            _("The channel must be one of: %(known)s.") % {"known": ", ".join(Channel.values)}
        )
    if lang not in ("fr", "en"):
        raise RightsError(_("The language must be fr or en."))
    email = crypto.normalise_email(email) if email else ""
    reply_email = crypto.normalise_email(reply_email) if reply_email else ""
    for address in (email, reply_email):
        if address and ("@" not in address or len(address) > 254):
            raise RightsError(_("This is not an email address: check it and try again."))
    if not email and not postal_address:
        raise RightsError(_("Give an email or a postal address, so that the answer can be sent."))
    if received_at > clock.now():
        raise RightsError(_("A request cannot be received in the future; check the date."))
    if manifest is None:
        found = _published()
        if found is None:
            raise RightsError(_("No policy is published: run `gardien policy publish` first."))
        manifest = found[1]
    with transaction.atomic():
        request = RightsRequest.objects.create(
            channel=channel,
            lang=lang,
            rights=chosen,
            email=email,
            reply_email=reply_email if reply_email != email else "",
            last_name=last_name,
            first_name=first_name,
            postal_address=postal_address,
            details=details,
            consent_reference=consent_reference,
            received_at=received_at,
            due_at=due_date(received_at, manifest),
        )
        event(request, "received", actor, note=", ".join(chosen) + f" ({channel})")
        record(
            actor=actor,
            action="create",
            target_type=RightsRequest._meta.label_lower,
            target_ref=str(request.pk),
            reason=f"{ACTIVITY}: {request.reference}",
        )
        if email:  # the task issues the link: its token never sits in a task's arguments
            enqueue(tasks.send_verification, request.pk)
        if request.reply_email:
            enqueue(tasks.send_generic_reply, request.pk)
        if also is not None:
            also()
    return request


def event(request: RightsRequest, kind: str, actor: Actor, *, note: str = "") -> CaseEvent:
    if "@" in note:
        raise ValueError("a case event's note must not hold an email address")
    return CaseEvent.objects.create(
        request=request, at=clock.now(), kind=kind, actor=actor.ref[:80], note=note[:300]
    )


# --- verification -----------------------------------------------------------------------


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_verification_token(request: RightsRequest) -> str:
    """Issue the request's verification link (its POST verifies); an earlier one stops
    working. Only the token's hash is kept."""
    token = secrets.token_urlsafe(32)
    request.verification_sha256 = _sha256(token)
    request.verification_expires_at = clock.now() + VERIFICATION_LIFETIME
    request.save(update_fields=["verification_sha256", "verification_expires_at"])
    return token


def pending_verification(token: str) -> RightsRequest | None:
    """The request a verification link stands for, while the link is valid."""
    if not token or len(token) > 100:
        return None
    return RightsRequest.objects.filter(
        verification_sha256=_sha256(token),
        verification_expires_at__gt=clock.now(),
        state=RightsRequest.State.AWAITING_VERIFICATION,
    ).first()


def verify(token: str) -> RightsRequest | None:
    """The person followed the link (its POST): the request is verified and tied to the
    person the address belongs to, if we hold data about them. The link works once."""
    with transaction.atomic():
        request = pending_verification(token)
        if request is None:
            return None
        person = vault.find_person(request.email)
        now = clock.now()
        RightsRequest.objects.filter(pk=request.pk).update(
            state=RightsRequest.State.VERIFIED,
            verified_at=now,
            verification_sha256="",
            verification_expires_at=None,
            person=person,
        )
        request.refresh_from_db()
        actor = Actor.subject(str(person.pk)) if person is not None else Actor.system()
        event(request, "verified", actor, note=_("by the link sent to the address concerned"))
    return request


def mark_verified(request: RightsRequest, *, actor: Actor, how: str) -> RightsRequest:
    """Staff verified the person otherwise (a post request with its proof, a known
    correspondent): recorded with how."""
    if request.state != RightsRequest.State.AWAITING_VERIFICATION:
        raise RightsError(_("This request is not waiting for verification."))
    if not how.strip():
        raise RightsError(_("Say how the identity was verified."))
    if "@" in how:
        raise RightsError(_("Say how without writing an email address: the timeline names no one."))
    with transaction.atomic():
        person = vault.find_person(request.email) if request.email else None
        RightsRequest.objects.filter(pk=request.pk).update(
            state=RightsRequest.State.VERIFIED,
            verified_at=clock.now(),
            verification_sha256="",
            verification_expires_at=None,
            person=person,
        )
        request.refresh_from_db()
        event(request, "verified", actor, note=how[:200])
        _audit(actor, "verify", request, how)
    return request


def _audit(actor: Actor, action: str, request: RightsRequest, reason: str = "") -> None:
    record(
        actor=actor,
        action=action,
        target_type=RightsRequest._meta.label_lower,
        target_ref=str(request.pk),
        reason=f"{ACTIVITY}: {request.reference}" + (f" {reason[:100]}" if reason else ""),
    )


# --- deadlines --------------------------------------------------------------------------


def extend(request: RightsRequest, *, reason: str, actor: Actor) -> RightsRequest:
    """Extend the deadline by the manifest's ``extension`` (Art. 12(3)): only before the
    first due date, only once, only with reasons, which are sent to the requester."""
    from gardien.rights import tasks

    if not reason.strip():
        raise RightsError(_("Give the reasons for the extension: they are sent to the person."))
    if request.closed_at is not None or request.state == RightsRequest.State.REFUSED:
        raise RightsError(_("This request is closed; nothing can be extended."))
    if request.extended_to is not None:
        raise RightsError(_("This request was already extended; it cannot be extended again."))
    now = clock.now()
    if now > request.due_at:
        raise RightsError(
            _(
                "The due date (%(due)s) has passed: the GDPR allows an extension only within "
                "the first month. Answer the request now."
            )
            % {"due": _local_day(request.due_at)}
        )
    found = _published()
    if found is None:
        raise RightsError(_("No policy is published: run `gardien policy publish` first."))
    with transaction.atomic():
        from django.utils import timezone

        local_due = timezone.localtime(request.due_at)
        extended = _end_of_day(found[1].rights.extension.after(local_due))
        RightsRequest.objects.filter(pk=request.pk).update(
            extended_to=extended, extension_reason=reason
        )
        request.refresh_from_db()
        event(request, "extended", actor, note=_local_day(extended))
        _audit(actor, "extend", request)
        enqueue(tasks.send_extension, request.pk)
    return request


def refuse(request: RightsRequest, *, reason: str, actor: Actor) -> RightsRequest:
    """Refuse a manifestly unfounded or excessive request: the letter states the reasons, the
    right to complain to the authority and to a judicial remedy."""
    from gardien.rights import tasks

    if not reason.strip():
        raise RightsError(_("Give the reasons for the refusal: the person must be told them."))
    if request.closed_at is not None:
        raise RightsError(_("This request is closed already."))
    with transaction.atomic():
        now = clock.now()
        RightsRequest.objects.filter(pk=request.pk).update(
            state=RightsRequest.State.REFUSED, refusal_reason=reason, answered_at=now
        )
        request.refresh_from_db()
        event(request, "refused", actor)
        _audit(actor, "refuse", request)
        enqueue(tasks.send_refusal, request.pk)
    return close(request, actor=actor, refused=True)


def close(request: RightsRequest, *, actor: Actor, refused: bool = False) -> RightsRequest:
    """Close the request: its identity document is destroyed now (the manifest's
    ``identity_document`` record: "until request closed"), the destruction recorded."""
    if request.closed_at is not None:
        raise RightsError(_("This request is closed already."))
    from gardien.rights import rectify

    if rectify.pending(request):
        raise RightsError(
            _("Decide on the contested accuracy first: the person stays restricted until then.")
        )
    with transaction.atomic():
        now = clock.now()
        destroyed = destroy_identity_document(request, actor=actor, rule="until request closed")
        RightsRequest.objects.filter(pk=request.pk).update(
            closed_at=now,
            state=RightsRequest.State.REFUSED if refused else RightsRequest.State.CLOSED,
            answered_at=request.answered_at or now,
            verification_sha256="",
            verification_expires_at=None,
        )
        request.refresh_from_db()
        event(request, "closed", actor, note=_("identity document destroyed") if destroyed else "")
        _audit(actor, "close", request)
    return request


def destroy_identity_document(request: RightsRequest, *, actor: Actor, rule: str) -> bool:
    """Delete the request's proof of identity, file and row, recording when and by which
    rule. False when there was none."""
    # Locked: an upload finishing at this moment waits, then finds no row to write to.
    document = IdentityDocument.objects.select_for_update().filter(request=request).first()
    if document is None:
        return False
    if document.document and document.document.name:
        document.document.delete(save=False)
    record(
        actor=actor,
        action="erase",
        target_type=IdentityDocument._meta.label_lower,
        target_ref=str(document.pk),
        reason=f"{ACTIVITY}: {rule}",
    )
    document.delete()
    event(request, "identity_document_destroyed", actor, note=rule)
    return True


@dataclass(frozen=True)
class Queued:
    request: RightsRequest
    overdue: bool
    due_soon: bool


def queue(now: dt.datetime | None = None) -> list[Queued]:
    """Open requests, soonest deadline first, flagged overdue or due soon."""
    moment = now or clock.now()
    rows = []
    for request in RightsRequest.objects.filter(closed_at__isnull=True):
        deadline = request.extended_to or request.due_at
        rows.append(
            Queued(
                request,
                overdue=deadline < moment,
                due_soon=moment <= deadline < moment + DUE_SOON,
            )
        )
    return sorted(rows, key=lambda q: q.request.extended_to or q.request.due_at)


def _local_day(moment: dt.datetime) -> str:
    from django.utils import formats, timezone

    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def authority_name(manifest: Manifest, lang: str) -> str:
    """The supervisory authority as a letter names it: "CNIL (Commission nationale …)"."""
    return f"{manifest.authority.name} ({manifest.authority.full_name.get(lang)})"


def right_label(code: str) -> str:
    """A right in words, in the active language."""
    return str(dict(Right.choices).get(code, code))


def by_reference(reference: str) -> RightsRequest | None:
    cleaned = reference.strip().upper()
    if not cleaned.startswith("R-") or len(cleaned) > 16:
        return None
    return RightsRequest.objects.filter(reference=cleaned).first()


def dpo_recipients() -> list[str]:
    """Who the daily list of requests goes to: GARDIEN_RIGHTS_NOTIFY, or the manifest's DPO."""
    configured = list(getattr(settings, "GARDIEN_RIGHTS_NOTIFY", []))
    if configured:
        return configured
    found = _published()
    return [found[1].dpo.email] if found is not None else []
