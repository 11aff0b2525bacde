"""Sending a campaign (a newsletter, or the notice of a policy change) to every confirmed,
unrestricted subscriber over SMTP, without Brevo.

    campaign, resumed = campaigns.prepare(Campaign.Kind.NEWSLETTER, subject, body)
    summary = campaigns.send(campaign, progress=callback)

``prepare`` lists one delivery per subscriber when the campaign starts; the same subject and
text again find the unfinished campaign and resume it. ``send`` goes through the deliveries
not yet sent, over one SMTP connection per batch, and writes ``sent_at`` as soon as the
server accepted each message. So a crash or ``kill -9`` half way resumes with exactly the
people not yet sent to. The one message in flight at the moment of the crash (accepted by
the server, not yet marked) is sent again with the same Message-ID, which mail clients show
once. Each text is rendered once per language; only the reader's link changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.mail import mailers
from django.db import connection, transaction

from gardien.lib import clock
from gardien.newsletter import mail, services
from gardien.newsletter.models import Campaign, Delivery, Subscription

#: How many deliveries one SMTP connection carries before the next batch is read.
BATCH = 200


class CampaignError(ValueError):
    """The campaign cannot be prepared; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    sent: int
    skipped: int  # the subscriber left or was restricted since the campaign started
    total: int


def content_sha256(kind: str, subject: str, body: str, version: int | None = None) -> str:
    text = "\x1f".join([kind, subject, body, str(version or "")])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def prepare(
    kind: str,
    subject: str,
    body: str,
    *,
    policy_version: int | None = None,
    again: bool = False,
) -> tuple[Campaign, bool]:
    """The campaign to send: the unfinished one with the same content (resumed=True), or a
    new one listing every sendable subscriber now. A finished one is not sent twice unless
    ``again``."""
    if services.setup() is None:
        raise CampaignError(
            "The published policy has no newsletter; declare [newsletter] in the manifest and "
            "run “gardien policy publish”."
        )
    digest = content_sha256(kind, subject, body, policy_version)
    same = Campaign.objects.filter(content_sha256=digest).order_by("-created_at")
    unfinished = same.filter(finished_at__isnull=True).first()
    if unfinished is not None:
        return unfinished, True
    if same.exists() and not again:
        raise CampaignError(
            "This campaign was already sent to everyone."
            + (" To send it again, add --again." if kind == Campaign.Kind.NEWSLETTER else "")
        )
    with transaction.atomic():
        campaign = Campaign.objects.create(
            kind=kind,
            subject=subject,
            body=body,
            content_sha256=digest,
            policy_version=policy_version,
            created_at=clock.now(),
        )
        ids = list(services.sendable().values_list("pk", flat=True))
        Delivery.objects.bulk_create(
            [Delivery(campaign=campaign, subscription_id=pk) for pk in ids], batch_size=1000
        )
    return campaign, False


def letters(campaign: Campaign, found: services.Setup) -> dict[str, mail.Letter]:
    """The campaign's text, rendered once per language."""
    rendered = {}
    for lang in ("fr", "en"):
        if campaign.kind == Campaign.Kind.POLICY_CHANGE:
            from gardien.newsletter import notices

            context = notices.letter_context(int(campaign.body), lang)  # the body: since
            rendered[lang] = mail.letter(found.manifest, lang, "policy_change", context)
        else:
            context = {
                "subject": campaign.subject,
                "text": mail.markdown_to_text(campaign.body),
                "html": mail.markdown_to_html(campaign.body),
            }
            rendered[lang] = mail.letter(found.manifest, lang, "campaign", context)
    return rendered


def _envelope_sender() -> str:
    from django.conf import settings

    return settings.DEFAULT_FROM_EMAIL


def _mark_sent(delivery_id: int) -> None:
    """``sent_at`` of one delivery, as soon as the server accepted it: one short UPDATE."""
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(table)} SET sent_at = %s WHERE id = %s",  # noqa: S608
            [connection.ops.adapt_datetimefield_value(clock.now()), delivery_id],
        )


def send(
    campaign: Campaign,
    *,
    batch: int = BATCH,
    progress: Callable[[int, int], object] | None = None,
) -> Summary:
    """Send every delivery not yet sent (see the module docstring); ``progress(done, total)``
    is called after each message."""
    found = services.setup()
    if found is None:
        raise CampaignError("The published policy has no newsletter any more; nothing was sent.")
    rendered = letters(campaign, found)
    total = Delivery.objects.filter(campaign=campaign).count()
    done = Delivery.objects.filter(campaign=campaign, sent_at__isnull=False).count()
    sent = skipped = 0
    sendable = services.sendable()
    with _marks_without_waiting_for_disk():
        while True:
            chunk = _next_chunk(campaign, batch)
            if not chunk:
                break
            done_here, skipped_here, total = _send_chunk(
                chunk, rendered, sendable, total, done, progress
            )
            sent += done_here
            done += done_here
            skipped += skipped_here
    Campaign.objects.filter(pk=campaign.pk).update(finished_at=clock.now())
    return Summary(sent=sent, skipped=skipped, total=total)


@contextmanager
def _marks_without_waiting_for_disk() -> Iterator[None]:
    """On PostgreSQL, this session's commits (one per message sent) do not wait for the
    write-ahead log to reach the disk: a crash of Gardien loses nothing (the server has the
    commit), and only a crash of the database server itself within a fraction of a second
    could forget the last marks, whose messages would then go again with the same
    Message-ID. SQLite commits in WAL mode are already cheap."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def _next_chunk(campaign: Campaign, batch: int) -> list[Delivery]:
    return list(
        Delivery.objects.filter(campaign=campaign, sent_at__isnull=True)
        .select_related("subscription__person")
        .order_by("pk")[:batch]
    )


def _send_chunk(
    chunk: list[Delivery],
    rendered: dict[str, mail.Letter],
    sendable: Any,
    total: int,
    done: int,
    progress: Callable[[int, int], object] | None,
) -> tuple[int, int, int]:
    """Send one batch over one SMTP connection; returns (sent, skipped, total)."""
    sent = skipped = 0
    allowed = set(
        sendable.filter(pk__in=[d.subscription_id for d in chunk]).values_list("pk", flat=True)
    )
    sender = _envelope_sender()
    with mailers.default as mailer:
        smtp = getattr(mailer, "connection", None)  # the SMTP backend's session
        for delivery in chunk:
            subscription: Subscription = delivery.subscription
            if subscription.pk not in allowed:  # left or restricted since the start
                Delivery.objects.filter(pk=delivery.pk).delete()
                skipped += 1
                total -= 1
                continue
            letter = rendered.get(subscription.lang) or rendered["fr"]
            address = subscription.person.email
            token = services.unsubscribe_token(subscription)
            msgid = mail.message_id("campaign", f"{delivery.campaign_id}.{delivery.pk}")
            data = letter.raw(address, token, msgid) if smtp is not None else None
            if smtp is not None and data is not None:
                smtp.sendmail(sender, [address], data)
            else:
                mailer.send_messages([letter.to(address, token, msgid)])
            _mark_sent(delivery.pk)
            sent += 1
            if progress is not None:
                progress(done + sent, total)
    return sent, skipped, total
