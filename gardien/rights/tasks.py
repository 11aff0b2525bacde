"""The emails of a rights request, sent through the outbox: each is enqueued in the
transaction of the step that causes it, carries the request's id only, and reads what it
needs when it runs. They are sent whatever restriction the person holds: answering a
request is an obligation, not a processing a restriction stops."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from gardien.policy import services as policy
from gardien.processors.outbox import outbox_task
from gardien.rights import services
from gardien.rights.models import RightsRequest


def _message_id(request: RightsRequest, kind: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "gardien.invalid"
    return f"<rights.{kind}.{request.pk}@{domain}>"


def context(request: RightsRequest) -> dict[str, Any]:
    """What every letter of a request says, from the published manifest."""
    manifest = policy.published_manifest()
    assert manifest is not None
    lang = request.lang
    return {
        "request": request,
        "reference": request.reference,
        "controller": manifest.controller,
        "dpo": manifest.dpo,
        "authority": manifest.authority,
        "authority_name": services.authority_name(manifest, lang),
        "received": formats.date_format(timezone.localtime(request.received_at), "DATE_FORMAT"),
        "due": formats.date_format(timezone.localtime(request.deadline), "DATE_FORMAT"),
        "rights": [str(services.right_label(r)) for r in request.rights],
        "site_url": settings.SITE_URL,
        "policy_url": settings.SITE_URL + reverse("policy-lang", kwargs={"lang": lang}),
    }


def send(request: RightsRequest, kind: str, to: str, extra: dict[str, Any] | None = None) -> None:
    with translation.override(request.lang):
        values = {**context(request), **(extra or {})}
        subject = render_to_string(f"rights/email/{kind}_subject.txt", values).strip()
        body = render_to_string(f"rights/email/{kind}.txt", values)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": _message_id(request, kind)},
    ).send()


@outbox_task()
def send_verification(request_id: uuid.UUID) -> None:
    """To the address the request is about: its reference, its due date, and the link that
    confirms the request comes from the owner of the address."""
    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None or request.state != RightsRequest.State.AWAITING_VERIFICATION:
        return  # verified, closed or erased since
    with transaction.atomic():
        token = services.new_verification_token(request)
    link = settings.SITE_URL + reverse(
        "rights-verify-lang", kwargs={"lang": request.lang, "token": token}
    )
    with translation.override(request.lang):
        expires = formats.date_format(
            timezone.localtime(request.verification_expires_at), "DATETIME_FORMAT"
        )
    send(request, "verify", request.email, {"link": link, "expires": expires})


@outbox_task()
def send_generic_reply(request_id: uuid.UUID) -> None:
    """To the address a request about someone else's address came from: that it was
    received, and nothing about whether we hold data about anyone."""
    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None or not request.reply_email:
        return
    send(request, "generic", request.reply_email)


def _answer_address(request: RightsRequest) -> str:
    return request.email or request.reply_email


@outbox_task()
def send_extension(request_id: uuid.UUID) -> None:
    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None or not _answer_address(request):
        return  # a postal request: the letter is printed from the back office
    send(request, "extension", _answer_address(request), {"reason": request.extension_reason})


@outbox_task()
def send_refusal(request_id: uuid.UUID) -> None:
    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None or not _answer_address(request):
        return
    send(request, "refusal", _answer_address(request), {"reason": request.refusal_reason})


@outbox_task()
def send_package_link(request_id: uuid.UUID, kind: str) -> None:
    """The answer to an access or portability request: a single-use link to the package, or
    a plain "we hold no data about you"."""
    from gardien.rights import fulfil

    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None or not _answer_address(request):
        return
    if fulfil.holdings_exist(request):
        with transaction.atomic():
            token = fulfil.new_link(request, kind)
        link = settings.SITE_URL + reverse(
            "rights-download-lang", kwargs={"lang": request.lang, "token": token}
        )
        with translation.override(request.lang):
            expires = formats.date_format(
                timezone.localtime(request.links.latest("created_at").expires_at),
                "DATETIME_FORMAT",
            )
        send(request, "package", request.email, {"link": link, "expires": expires, "kind": kind})
    else:
        send(request, "nothing", request.email)


@outbox_task()
def send_done(request_id: uuid.UUID, right: str) -> None:
    """Tell the person that a right was carried out (erasure, restriction, objection,
    withdrawal)."""
    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None or not _answer_address(request):
        return
    with translation.override(request.lang):
        done = services.right_label(right)
    send(request, "done", _answer_address(request), {"done": done})


@outbox_task()
def notify_then_lift(request_id: uuid.UUID, activity: str) -> None:
    """Art. 18(3): the person is told before the restriction is lifted, so the notice goes
    first and the lifting follows once the mail server accepted it."""
    from gardien.audit.services import Actor
    from gardien.vault import services as vault

    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None or request.person_id is None:
        return
    person = vault.person_by_id(request.person_id)
    if person is None:
        return
    if _answer_address(request):
        send(request, "lifted", _answer_address(request))
    with transaction.atomic():
        vault.lift_restriction(
            person,
            actor=Actor.system(),
            reason=f"rights: {request.reference}",
            activity=activity or None,
        )
        services.event(request, "restriction_lifted", Actor.system(), note=activity)


@outbox_task()
def send_identity_link(request_id: uuid.UUID) -> None:
    """Staff have a reasonable doubt (``identity.ask``): to the address the request is about,
    the recorded reason, what is accepted, and a single-use link to upload a proof of
    identity. The token is issued here, so it never sits in a task's arguments."""
    from gardien.rights import identity

    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None or request.closed_at is not None or not request.email:
        return  # closed or erased since, or by post only (the DPO writes)
    with transaction.atomic():
        token = identity.new_upload_token(request)
        document = request.identity_document if token is not None else None
    if token is None or document is None or document.upload_expires_at is None:
        return  # received since, or no longer asked
    link = settings.SITE_URL + reverse(
        "rights-identity-lang", kwargs={"lang": request.lang, "token": token}
    )
    with translation.override(request.lang):
        values = {
            **context(request),
            "link": link,
            "expires": formats.date_format(
                timezone.localtime(document.upload_expires_at), "DATETIME_FORMAT"
            ),
            "reason": request.doubt_reason,
            "max_mb": identity.MAX_BYTES // (1024 * 1024),
        }
        subject = render_to_string("rights/identity/email_subject.txt", values).strip()
        body = render_to_string("rights/identity/email.txt", values)
    # Each link its own Message-ID: a mail system may drop a second message with the same.
    kind = f"identity.{uuid.uuid4().hex[:12]}"
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[request.email],
        headers={"Message-ID": _message_id(request, kind)},
    ).send()


# --- rectification (gardien.rights.rectify) -----------------------------------------------


def _send_numbered(
    request: RightsRequest, kind: str, number: object, to: str, extra: dict[str, Any]
) -> None:
    """:func:`send`, with a Message-ID of its own for each letter of a kind a request may
    get more than once (a second rectification is not a copy of the first)."""
    with translation.override(request.lang):
        values = {**context(request), **extra}
        subject = render_to_string(f"rights/email/{kind}_subject.txt", values).strip()
        body = render_to_string(f"rights/email/{kind}.txt", values)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": _message_id(request, f"{kind}.{number}")},
    ).send()


@outbox_task()
def send_contested(request_id: uuid.UUID) -> None:
    """The person contested the accuracy of their data: processing is restricted while it
    is checked, and they will hear the decision before the restriction is lifted."""
    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None or not _answer_address(request):
        return
    send(request, "contested", _answer_address(request))


@outbox_task()
def send_rectified(request_id: uuid.UUID, event_id: int) -> None:
    """The data was corrected: which fields (never their values), and who received the data
    and is told of the correction (Art. 19)."""
    from gardien.rights import recipients, rectify
    from gardien.rights.models import CaseEvent, Right

    request = RightsRequest.objects.filter(pk=request_id).first()
    done = CaseEvent.objects.filter(pk=event_id, request_id=request_id).first()
    if request is None or done is None or not _answer_address(request):
        return
    with translation.override(request.lang):
        fields = rectify.field_labels(done.note, request.lang)
    told = recipients.for_person_letter(request, action=Right.RECTIFICATION)
    _send_numbered(
        request, "rectified", event_id, _answer_address(request), {"fields": fields, "told": told}
    )


@outbox_task()
def send_decision_then_lift(request_id: uuid.UUID, accurate: bool) -> None:
    """The DPO decided on the contested accuracy: the person is told first, and the
    restriction placed while it was checked is lifted once the mail server accepted the
    letter (Art. 18(3))."""
    from gardien.rights import rectify

    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None:
        return
    lifting = rectify.held_restriction(request) is not None
    if _answer_address(request):
        send(
            request,
            "accuracy_decided",
            _answer_address(request),
            {"accurate": accurate, "lifting": lifting},
        )
    if lifting:
        rectify.lift_held(request)
