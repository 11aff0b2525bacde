"""What staff do, in the audit log: one helper per kind of action.

Entries hold references only (see gardien/audit): an account by its id, an unknown
username or a searched email by a keyed hash (:func:`keyed`), never a password, an email
or an address. Each helper writes inside the caller's transaction, if there is one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.crypto import salted_hmac

from gardien.audit import services as audit
from gardien.audit.services import Actor

ACCOUNT = "backoffice.account"


def keyed(kind: str, value: str) -> str:
    """A keyed hash (from SECRET_KEY) of a value that must not be written in clear: the same
    value gives the same reference, so entries can be matched without revealing it."""
    digest = salted_hmac(f"gardien.backoffice.trail.{kind}", value, algorithm="sha256")
    return f"{kind}-{digest.hexdigest()[:32]}"


def account_for(username: str) -> Any | None:
    User = get_user_model()
    return User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()


def account_ref(username: str) -> str:
    """The account's id, or a keyed hash of a username no account has."""
    user = account_for(username)
    return str(user.pk) if user is not None else keyed("username", username.strip().casefold())


def login(user: Any) -> None:
    audit.record(
        actor=Actor.staff(user), action="login", target_type=ACCOUNT, target_ref=str(user.pk)
    )


def login_failed(username: str, why: str, more: int = 0) -> None:
    """A refused login: ``why`` says which check failed (never shown to the person);
    ``more``, how many refused logins on the same account from the same network were left
    out of the log since its previous entry for them (see ``throttle.Throttle.audit_due``)."""
    audit.record(
        actor=Actor.system(),
        action="login_failed",
        target_type=ACCOUNT,
        target_ref=account_ref(username),
        reason=f"{why} and {more} more attempts" if more else why,
    )


def account_created(actor: Actor, user: Any, role: str) -> None:
    audit.record(
        actor=actor, action="create", target_type=ACCOUNT, target_ref=str(user.pk), reason=role
    )


def roles_changed(actor: Actor, user: Any, roles: list[str]) -> None:
    """The account's roles after the change (group slugs), or "none"."""
    audit.record(
        actor=actor,
        action="change_roles",
        target_type=ACCOUNT,
        target_ref=str(user.pk),
        reason=",".join(sorted(roles)) or "none",
    )


def second_factor_reset(actor: Actor, user: Any) -> None:
    audit.record(
        actor=actor, action="reset_second_factor", target_type=ACCOUNT, target_ref=str(user.pk)
    )


# Who is publishing in this context: a version is audited when its row is saved (signals.py),
# wherever that happens; the back office's publish page says it is a staff account's doing.
_publisher: ContextVar[Actor | None] = ContextVar("gardien_publisher", default=None)


@contextmanager
def publishing_as(actor: Actor) -> Iterator[None]:
    """Versions published inside this block are audited as ``actor``'s (else the system's)."""
    token = _publisher.set(actor)
    try:
        yield
    finally:
        _publisher.reset(token)


def publisher() -> Actor:
    return _publisher.get() or Actor.system()


def policy_published(actor: Actor, number: int, content_hash: str) -> None:
    audit.record(
        actor=actor,
        action="publish",
        target_type="policy.policyversion",
        target_ref=str(number),
        reason=content_hash[:64],
    )


def exported(actor: Actor, what: str, ref: str = "", reason: str = "") -> None:
    """An export left Gardien: ``what`` names it as a model (``policy.register``)."""
    audit.record(actor=actor, action="export", target_type=what, target_ref=ref, reason=reason)


def person_searched(actor: Actor, email: str, found: int) -> None:
    """A search of the vault by email: the query as a keyed hash, how many people matched."""
    audit.record(
        actor=actor,
        action="search",
        target_type="vault.person",
        target_ref=keyed("email", email),
        reason=f"found {found}",
    )
