"""The audit log in words: what a stored code means to the DPO who reads it.

The log keeps short codes (``create``, ``system:system``, ``vault.person``): they are
signed, stable and language-free. Pages translate them at display, here and nowhere else:

    from gardien.audit import words

    words.action("create")                       # "Created" / "Création"
    words.actor("system", "system")              # "Gardien (automatic)"
    words.actor("staff", "3", username="alice")  # "alice"
    words.target("vault.person", "8f939d03-…")   # "person 8f939d03"

A code this module does not know is shown as it is stored, so a new action is never hidden.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gardien.audit.models import ActorKind

_ACTIONS: dict[str, Promise] = {
    "create": _("Created"),
    "view": _("Looked at"),
    "read": _("Read"),
    "read_export": _("Export read"),
    "export": _("Exported"),
    "search": _("Searched"),
    "download": _("Downloaded"),
    "login": _("Logged in"),
    "login_failed": _("Login refused"),
    "change_roles": _("Roles changed"),
    "reset_second_factor": _("Second factor reset"),
    "publish": _("Policy published"),
    "restrict": _("Processing restricted"),
    "lift_restriction": _("Restriction lifted"),
    "lift_restriction_announced": _("Lifting of the restriction announced"),
    "erase": _("Erased"),
    "rectify": _("Rectified"),
    "withdraw": _("Consent withdrawn"),
    "send": _("Sent"),
    "purge": _("Retention purge"),
    "audit_purge": _("Audit log purged"),
    "rotate_keys": _("Keys rotated"),
    "consent_seal": _("Consent proofs sealed"),
    "consent_seal_removal": _("Consent seal removed"),
    "verify": _("Identity of the requester verified"),
    "identity_ask": _("Proof of identity asked"),
    "extend": _("Deadline extended"),
    "refuse": _("Request refused"),
    "close": _("Request closed"),
    "answer_erasure": _("Erasure answered"),
    "answer_withdrawal": _("Withdrawal answered"),
    "contest_accuracy": _("Accuracy contested"),
    "decide_accuracy": _("Accuracy decided"),
    "recipient_told": _("Recipient informed"),
    "allow_origin": _("Site origin allowed"),
    "remove_origin": _("Site origin removed"),
}

# Gardien itself acts under the "system" kind; the reference says which part of it.
_SYSTEM: dict[str, Promise] = {
    "system": _("Gardien (automatic)"),
    "retention": _("Gardien (retention purge)"),
    "command": _("Command line (gardien audit)"),
    "site_command": _("Command line (gardien site)"),
}

# Targets that are not a model of an installed app.
_TARGETS: dict[str, Promise] = {
    "backoffice.account": _("back-office account"),
    "vault.keys": _("encryption keys"),
}


def action(code: str) -> str:
    """The action in words, in the active language."""
    label = _ACTIONS.get(code)
    return str(label) if label is not None else code


def action_choices(codes: list[str]) -> list[tuple[str, str]]:
    """(code, words) for a filter, sorted by the words the reader sees."""
    return sorted(((code, action(code)) for code in codes), key=lambda pair: pair[1].lower())


def actor(kind: str, ref: str, *, username: str | None = None) -> str:
    """Who did it, in words: staff by username, Gardien by its part, a person by pseudonym."""
    if kind == ActorKind.STAFF:
        if username:
            return username
        return gettext("staff account %(ref)s (deleted)") % {"ref": ref}
    if kind == ActorKind.SYSTEM:
        label = _SYSTEM.get(ref)
        if label is not None:
            return str(label)
        if ref.endswith("_command"):  # a command of the command line, e.g. "site_command"
            command = ref.removesuffix("_command")
            return gettext("Command line (gardien %(command)s)") % {"command": command}
        return gettext("Gardien (%(ref)s)") % {"ref": ref}
    if kind == ActorKind.SUBJECT:
        return gettext("the person %(ref)s") % {"ref": ref[:8]}
    return f"{kind}:{ref}"


def target_kind(target_type: str) -> str:
    """What kind of thing was acted on, by its name (a model's verbose name when it is one)."""
    label = _TARGETS.get(target_type)
    if label is not None:
        return str(label)
    app_label, _dot, model = target_type.partition(".")
    try:
        return str(apps.get_model(app_label, model)._meta.verbose_name)
    except (LookupError, ValueError):
        return target_type


def target(target_type: str, target_ref: str, *, username: str | None = None) -> str:
    """The target in words: its kind, then a short reference (an account by its username)."""
    kind = target_kind(target_type)
    if not target_ref:
        return kind
    if target_type == "backoffice.account" and username:
        return f"{kind} {username}"
    short = target_ref[:8] if len(target_ref) == 36 else target_ref  # a UUID: its first part
    return f"{kind} {short}"


def entry(position: int, action_code: str, target_type: str, target_ref: str) -> str:
    """An entry's title: its position, the action and its target, in words."""
    return f"#{position} {action(action_code)} — {target(target_type, target_ref)}"


_LONG_HEX = re.compile(r"\b([0-9a-f]{12})[0-9a-f]{28,}\b")


def reason(text: str) -> str:
    """The entry's reason as a list shows it: a long hash cut to its first 12 characters
    (the entry's page keeps it whole)."""
    return _LONG_HEX.sub(r"\1…", text) or "—"
