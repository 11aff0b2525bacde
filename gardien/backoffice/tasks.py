"""Emails about back-office accounts, sent through the outbox."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext, ngettext

from gardien.processors.outbox import outbox_task


def _recipients(user: object) -> list[str]:
    """The account's own address, or else the DPO's (as the daily list of requests)."""
    email = str(getattr(user, "email", "") or "")
    if email:
        return [email]
    from gardien.rights.services import dpo_recipients

    return dpo_recipients()


@outbox_task()
def warn_failed_logins(user_id: int, failures: int) -> None:
    """Tell the account's holder that many logins failed on it: it is not locked, but
    someone may be guessing. Says neither where the attempts came from nor any password."""
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None:
        return
    to = _recipients(user)
    if not to:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Gardien: repeated failed logins on a back-office account")
        body = "\n\n".join(
            [
                ngettext(
                    "%(count)d attempt to log in to the back-office account “%(username)s” "
                    "failed in a row.",
                    "%(count)d attempts to log in to the back-office account “%(username)s” "
                    "failed in a row.",
                    failures,
                )
                % {"count": failures, "username": user.get_username()},
                gettext(
                    "The account is not locked: its holder still logs in with the password "
                    "and a code from the authenticator app. Each address that keeps failing "
                    "waits longer between attempts, then is refused."
                ),
                gettext(
                    "If these attempts were not made by the account's holder, someone may be "
                    "guessing its password: check that it is long and used nowhere else "
                    "(gardien changepassword), and read the audit log (action login_failed)."
                ),
                gettext("This message is sent at most once a day for an account."),
            ]
        )
    EmailMessage(
        subject=subject, body=body + "\n", from_email=settings.DEFAULT_FROM_EMAIL, to=to
    ).send()
