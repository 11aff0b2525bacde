"""Comparing Brevo's list with Gardien's subscribers, and fixing differences in the safe
direction only: nobody is ever subscribed again by it.

- An address in Brevo's list that is not subscribed in Gardien (an import by hand, a sync
  lost long ago) leaves Brevo, as an unsubscription would (``[newsletter]
  at_processor_on_withdrawal``).
- A subscriber that Brevo blocklisted, or still knows but no longer has in the list (they left
  inside Brevo and the webhook did not come), is unsubscribed in Gardien.
- A subscriber Brevo does not know at all is only counted (``missing``): it may never have
  been sent (Brevo switched on later), and nothing proves they left.
- Addresses with a change still on its way to Brevo (ProcessorSync) are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from gardien.audit.services import Actor
from gardien.lib import crypto
from gardien.newsletter import services
from gardien.newsletter.models import ProcessorSync, Subscription
from gardien.processors import brevo


class ReconcileError(RuntimeError):
    """Brevo could not be read; nothing was changed."""


@dataclass(frozen=True)
class Outcome:
    compared: int
    removed_at_processor: int
    unsubscribed_here: int
    waiting: int
    missing: int


def run(*, dry_run: bool, progress: Callable[[int, int], object] | None = None) -> Outcome:
    client = brevo.BrevoClient.from_settings()
    if client is None:
        raise ReconcileError("Brevo is off (GARDIEN_BREVO_API_KEY is not set).")
    list_id = settings.GARDIEN_BREVO_LIST_ID
    try:
        listed = {crypto.normalise_email(c.email): c for c in client.list_contacts(list_id)}
    except brevo.BrevoError as exc:
        raise ReconcileError(f"Brevo's list could not be read ({exc}); nothing changed.") from None
    waiting = {row.email for row in ProcessorSync.objects.filter(processor=services.processor_id())}
    local = {
        crypto.normalise_email(s.person.email): s
        for s in Subscription.objects.select_related("person")
    }
    remote = {address for address, c in listed.items() if not c.blocklisted}
    everyone = sorted(set(listed) | set(local))
    removed = unsubscribed = skipped = missing = 0
    with client:
        for done, address in enumerate(everyone, start=1):
            if address in waiting:
                skipped += 1
            elif address in listed and address not in local:
                removed += 1
                if not dry_run:
                    services.want(address, ProcessorSync.Wanted.ABSENT)
            elif address in local and address not in remote:
                try:
                    contact = listed.get(address) or client.get(address)
                except brevo.BrevoError as exc:
                    raise ReconcileError(
                        f"Brevo could not be read ({exc}); what was fixed before stays fixed, "
                        "run it again."
                    ) from None
                if contact is None:
                    missing += 1
                else:
                    unsubscribed += 1
                    if not dry_run:
                        services.withdraw(
                            local[address].person, how="left at Brevo", actor=Actor.system()
                        )
            if progress is not None:
                progress(done, len(everyone))
    return Outcome(len(everyone), removed, unsubscribed, skipped, missing)
