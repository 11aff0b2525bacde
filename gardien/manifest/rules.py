"""Consistency rules between parts of a manifest.

They read the raw TOML data defensively, so they run (and report) even when
other parts of the manifest have type errors: the author sees every problem at
once. Each rule yields ``(path, message)``; the loader adds file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from gardien.lib import contrast
from gardien.manifest import retention, wording
from gardien.manifest.schema import (
    AUDIENCE_MAX_RETENTION,
    CONSENT_MAX_LIFETIME,
    COUNTRY_CODE,
    EEA_CODES,
)
from gardien.manifest.taxonomy import fideslang_categories

Path = tuple[str | int, ...]
Problem = tuple[Path, str]


# The kinds of table a problem names, as the loader names them in a problem's context.
_KINDS = {
    "activity": gettext_lazy("activity"),
    "processor": gettext_lazy("processor"),
    "field": gettext_lazy("field"),
    "record": pgettext_lazy("manifest", "record"),
    "cookie purpose": gettext_lazy("cookie purpose"),
    "cookie service": gettext_lazy("cookie service"),
    "data category": gettext_lazy("data category"),
}


def _language() -> str:
    """The language problems are worded in now (gettext's), for the wording module."""
    return (translation.get_language() or wording.DEFAULT_LANGUAGE).split("-")[0]


def _period(duration: retention.Duration) -> str:
    """A period Gardien sets (not one the author wrote), in the language of the problem."""
    return wording.duration(duration, _language())


def _tables(data: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _strs(data: dict[str, Any], key: str) -> list[tuple[int, str]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)]


def _ids(items: list[tuple[int, dict[str, Any]]]) -> set[str]:
    return {v for _, item in items if (v := _str(item, "id"))}


def _unique(
    items: list[tuple[int, dict[str, Any]]], base: Path, key: str, what: str
) -> Iterator[Problem]:
    """``what``: the kind of table, as the loader names it ("activity", "cookie purpose")."""
    seen: set[str] = set()
    for i, item in items:
        value = _str(item, key)
        if value is None:
            continue
        if value in seen:
            yield (
                (*base, i, key),
                _(
                    '%(key)s "%(value)s" is already used by an earlier %(what)s; '
                    "give each %(what)s its own %(key)s"
                )
                % {"key": key, "value": value, "what": _KINDS[what]},
            )
        seen.add(value)


# These rules read the raw TOML (see the module docstring), so the periods they compare are
# parsed with the grammar's own parsers; a value that does not parse is the schema's to report.


def _lifetime_or_none(text: Any) -> retention.Duration | None:
    if not isinstance(text, str):
        return None
    try:
        lifetime = retention.parse_lifetime(text)
    except retention.RetentionSyntaxError:
        return None
    return lifetime if isinstance(lifetime, retention.Duration) else None


def _rule_or_none(text: Any) -> retention.RetentionRule | None:
    if not isinstance(text, str):
        return None
    try:
        return retention.parse_rule(text)
    except retention.RetentionSyntaxError:
        return None


def _too_long(duration: retention.Duration | None) -> bool:
    return duration is not None and duration.days > CONSENT_MAX_LIFETIME.days


def extension_keys(data: Any) -> set[str]:
    taxonomy = data.get("taxonomy") if isinstance(data, dict) else None
    return {v for _, c in _tables(taxonomy, "data_categories") if (v := _str(c, "key"))}


def check(data: Any) -> list[Problem]:
    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []
    problems += _check_taxonomy(data)
    problems += _check_activities(data)
    problems += _check_processors(data)
    problems += _check_automatic_fields(data)
    problems += _check_cookies(data)
    problems += _check_theme(data)
    problems += _check_newsletter(data)
    problems += _check_audience(data)
    return problems


def _legal_basis_name(basis: str) -> str:
    """ "legal obligation", "obligation légale": the basis named inside a sentence."""
    return wording.legal_basis(basis, _language()).lower()


def _check_taxonomy(data: dict[str, Any]) -> Iterator[Problem]:
    taxonomy = data.get("taxonomy")
    categories = _tables(taxonomy, "data_categories")
    yield from _unique(categories, ("taxonomy", "data_categories"), "key", "data category")
    for i, category in categories:
        key = _str(category, "key")
        if key and key in fideslang_categories():
            yield (
                ("taxonomy", "data_categories", i, "key"),
                _('"%(key)s" already exists in fideslang; use it without declaring it')
                % {"key": key},
            )


def _check_activities(data: dict[str, Any]) -> Iterator[Problem]:
    activities = _tables(data, "activities")
    processors = _ids(_tables(data, "processors"))
    yield from _unique(activities, ("activities",), "id", "activity")
    for i, activity in activities:
        here: Path = ("activities", i)
        basis = _str(activity, "legal_basis")
        if basis == "consent" and activity.get("consent_recorded_by") is None:
            yield (
                (*here, "legal_basis"),
                _(
                    "the legal basis is consent, so say how consent is recorded: add "
                    'consent_recorded_by = "banner", "double_opt_in" or "form_checkbox"'
                ),
            )
        if (
            basis is not None
            and basis != "consent"
            and activity.get("consent_recorded_by") is not None
        ):
            yield (
                (*here, "consent_recorded_by"),
                _(
                    'consent_recorded_by only applies when legal_basis = "consent" '
                    '(it is "%(basis)s")'
                )
                % {"basis": basis},
            )
        if basis == "legitimate_interest" and activity.get("legitimate_interest") is None:
            yield (
                (*here, "legal_basis"),
                _(
                    "the legal basis is legitimate interest, so name the interest pursued: add "
                    'legitimate_interest = { fr = "…", en = "…" }'
                ),
            )
        rule = _rule_or_none(activity.get("retention"))
        if basis == "consent" and rule is not None and not rule.ends_at("consent withdrawn"):
            yield (
                (*here, "retention"),
                _(
                    'retention "%(rule)s" ignores withdrawal; a consent-based activity keeps '
                    "data only until consent withdrawn, e.g. "
                    '"until consent withdrawn or 3 years after last_contact"'
                )
                % {"rule": rule},
            )
        if (
            basis in ("legal_obligation", "public_task")
            and activity.get("legal_basis_detail") is None
        ):
            yield (
                (*here, "legal_basis"),
                _(
                    "the legal basis is %(basis)s, so cite the text: add "
                    'legal_basis_detail = { fr = "…", en = "…" }'
                )
                % {"basis": _legal_basis_name(basis)},
            )

        fields = _tables(activity, "fields")
        yield from _unique(fields, (*here, "fields"), "name", "field")
        for j, declared in fields:
            if declared.get("input") == "choice" and not declared.get("choices"):
                yield (
                    (*here, "fields", j, "choices"),
                    _(
                        'a field with input = "choice" needs its choices: add '
                        'choices = [{ value = "…", label = { fr = "…", en = "…" } }]'
                    ),
                )
            if declared.get("required") is True and declared.get("if_missing") is None:
                yield (
                    (*here, "fields", j, "required"),
                    _(
                        "a mandatory field must say what happens if it is not provided: add "
                        'if_missing = { fr = "…", en = "…" }'
                    ),
                )
        yield from _unique(_tables(activity, "records"), (*here, "records"), "id", "record")

        recipients = {name for _, name in _strs(activity, "recipients")}
        for j, name in _strs(activity, "recipients"):
            if name not in processors:
                known = ", ".join(sorted(processors)) or _("none")
                yield (
                    (*here, "recipients", j),
                    _(
                        'recipient "%(name)s" is not a declared processor; add a [[processors]] '
                        'entry with id = "%(name)s" or fix the name (declared: %(known)s)'
                    )
                    % {"name": name, "known": known},
                )
        for j, transfer in _tables(activity, "transfers"):
            target = _str(transfer, "recipient")
            if target and target not in recipients:
                yield (
                    (*here, "transfers", j, "recipient"),
                    _(
                        'transfer to "%(target)s", which is not one of this activity\'s '
                        "recipients; add it to recipients or remove the transfer"
                    )
                    % {"target": target},
                )


def _check_processors(data: dict[str, Any]) -> Iterator[Problem]:
    processors = _tables(data, "processors")
    activities = _tables(data, "activities")
    known = set(fideslang_categories()) | extension_keys(data)
    yield from _unique(processors, ("processors",), "id", "processor")
    for i, processor in processors:
        here: Path = ("processors", i)
        pid = _str(processor, "id")
        if pid is None:
            continue
        served = [(j, a) for j, a in activities if pid in {n for _, n in _strs(a, "recipients")}]
        if not served:
            yield (
                (*here, "id"),
                _(
                    "this processor is not a recipient of any activity; add it to the "
                    "recipients of the activities it serves, or remove it"
                ),
            )
        # A malformed code is reported by the schema; it says nothing about a transfer.
        outside = [
            c
            for _, c in _strs(processor, "data_location")
            if c not in EEA_CODES and COUNTRY_CODE.match(c)
        ]
        for code in outside:
            for _j, activity in served:
                aid = _str(activity, "id") or "?"
                transfers = [
                    t
                    for _, t in _tables(activity, "transfers")
                    if _str(t, "recipient") == pid and _str(t, "country") == code
                ]
                if processor.get("safeguards") is None:
                    yield (
                        (*here, "data_location"),
                        _(
                            "transfer outside the EU/EEA without safeguards: "
                            'activity "%(activity)s" → processor "%(processor)s" → %(country)s; '
                            "declare the safeguards (e.g. standard contractual clauses) in "
                            "safeguards = { fr, en } or keep the data in the EU/EEA"
                        )
                        % {"activity": aid, "processor": pid, "country": code},
                    )
                elif not transfers:
                    yield (
                        (*here, "data_location"),
                        _(
                            'activity "%(activity)s" sends data to processor "%(processor)s" '
                            "located in %(country)s but declares no transfer; add it to the "
                            "activity's transfers so the policy states it"
                        )
                        % {"activity": aid, "processor": pid, "country": code},
                    )
        yield from _check_role(processor, here, processors)
        declared: set[str] = set()
        for _j, activity in served:
            for _k, declared_field in _tables(activity, "fields"):
                declared |= {c for _, c in _strs(declared_field, "categories")}
        for k, key in _strs(processor, "receives"):
            if key not in known:
                continue  # an unknown category is reported by the schema
            if (
                served
                and key not in declared
                and not any(d.startswith(key + ".") for d in declared)
            ):
                yield (
                    (*here, "receives", k),
                    _(
                        'receives "%(key)s", which no activity it serves declares; '
                        "declare the field in one of those activities or remove the category"
                    )
                    % {"key": key},
                )


def _check_role(
    processor: dict[str, Any], here: Path, processors: list[tuple[int, dict[str, Any]]]
) -> Iterator[Problem]:
    """A sub-processor names the processor that engaged it (Art. 28(2) and (4)): the
    register shows the chain an auditor asks about."""
    role = _str(processor, "role") or "processor"
    engaged_by = _str(processor, "engaged_by")
    roles = {pid: _str(p, "role") or "processor" for _, p in processors if (pid := _str(p, "id"))}
    if role == "sub_processor" and engaged_by is None:
        yield (
            (*here, "role"),
            _(
                'a sub-processor is engaged by one of your processors; add engaged_by = "<the '
                'id of that processor>", or write role = "processor" if you engaged it yourself'
            ),
        )
    elif engaged_by is not None and role != "sub_processor":
        yield (
            (*here, "engaged_by"),
            _(
                "engaged_by names who engaged a sub-processor, but this recipient's role is "
                '"%(role)s"; write role = "sub_processor" or remove engaged_by'
            )
            % {"role": role},
        )
    elif engaged_by is not None and engaged_by == _str(processor, "id"):
        yield (
            (*here, "engaged_by"),
            _("a sub-processor cannot be engaged by itself; name the processor that engaged it"),
        )
    elif engaged_by is not None and roles.get(engaged_by) not in ("processor", "sub_processor"):
        known = ", ".join(sorted(p for p, r in roles.items() if r == "processor")) or _("none")
        yield (
            (*here, "engaged_by"),
            _(
                'engaged_by "%(engaged_by)s" is not a declared processor; name one of the '
                "[[processors]] with role processor (%(known)s)"
            )
            % {"engaged_by": engaged_by, "known": known},
        )


def _check_automatic_fields(data: dict[str, Any]) -> Iterator[Problem]:
    """``limits`` describes data collected automatically; on a field the person fills in,
    the policy would show it nowhere."""
    for i, activity in _tables(data, "activities"):
        for j, declared in _tables(activity, "fields"):
            if declared.get("limits") is not None and _str(declared, "input") != "generated":
                yield (
                    ("activities", i, "fields", j, "limits"),
                    _(
                        'limits describes data collected automatically (input = "generated"); '
                        "for a field the person fills in, say what happens without it in "
                        "if_missing"
                    ),
                )


def _check_cookies(data: dict[str, Any]) -> Iterator[Problem]:
    cookies = data.get("cookies")
    if not isinstance(cookies, dict):
        return
    purposes = _tables(cookies, "purposes")
    services = _tables(cookies, "services")
    activity_ids = _ids(_tables(data, "activities"))
    processor_ids = _ids(_tables(data, "processors"))
    yield from _unique(purposes, ("cookies", "purposes"), "id", "cookie purpose")
    yield from _unique(services, ("cookies", "services"), "id", "cookie service")
    consent_of = {p: _str(item, "consent") for _, item in purposes if (p := _str(item, "id"))}

    choice = _lifetime_or_none(cookies.get("choice_lifetime"))
    if _too_long(choice):
        yield (
            ("cookies", "choice_lifetime"),
            _(
                "a choice is remembered %(lifetime)s, longer than the %(most)s allowed; "
                'write e.g. choice_lifetime = "12 months"'
            )
            % {"lifetime": cookies["choice_lifetime"], "most": _period(CONSENT_MAX_LIFETIME)},
        )
    for i, purpose in purposes:
        activity = _str(purpose, "activity")
        if activity and activity not in activity_ids:
            yield (
                ("cookies", "purposes", i, "activity"),
                _('activity "%(activity)s" is not declared; use the id of one of [[activities]]')
                % {"activity": activity},
            )

    for i, service in services:
        here: Path = ("cookies", "services", i)
        purpose_id = _str(service, "purpose")
        if purpose_id and purpose_id not in consent_of:
            known = ", ".join(sorted(consent_of)) or _("none")
            yield (
                (*here, "purpose"),
                _('purpose "%(purpose)s" is not a declared cookie purpose (declared: %(known)s)')
                % {"purpose": purpose_id, "known": known},
            )
        provider = _str(service, "provider")
        if provider and provider not in processor_ids:
            yield (
                (*here, "provider"),
                _('provider "%(provider)s" is not a declared processor; add it to [[processors]]')
                % {"provider": provider},
            )
        if service.get("party") == "third" and not provider:
            yield (
                (*here, "party"),
                _('a third-party service must name its provider: add provider = "<processor id>"'),
            )
        if consent_of.get(purpose_id or "") in ("required", "exempt_with_opt_out"):
            for j, item in _tables(service, "cookies"):
                if _too_long(_lifetime_or_none(item.get("lifetime"))):
                    yield (
                        (*here, "cookies", j, "lifetime"),
                        _(
                            'lifetime "%(lifetime)s" is too long: a cookie placed under consent '
                            "or the audience exemption may live %(most)s (%(days)d days) at most"
                        )
                        % {
                            "lifetime": item["lifetime"],
                            "most": _period(CONSENT_MAX_LIFETIME),
                            "days": CONSENT_MAX_LIFETIME.days,
                        },
                    )


#: WCAG 2.2 level AA: the buttons' text against their background (SC 1.4.3; the banner's
#: 16 px bold text is below the 18.66 px bold of "large text"), and the brand colour, which
#: draws the buttons, their borders and a switch that is on, against the banner's white
#: background (SC 1.4.11).
TEXT_CONTRAST = 4.5
COMPONENT_CONTRAST = 3.0
BANNER_BACKGROUND = contrast.WHITE


def _readable(brand: str, on_brand: str) -> bool:
    return (
        contrast.contrast_ratio(on_brand, brand) >= TEXT_CONTRAST
        and contrast.contrast_ratio(brand, BANNER_BACKGROUND) >= COMPONENT_CONTRAST
    )


def _theme_fix(brand: str, on_brand: str) -> str:
    """The smallest change that passes both checks, as the line to write."""
    if contrast.relative_luminance(on_brand) >= contrast.relative_luminance(brand):
        for step in range(1, 33):  # light text: the same hue, darker
            shade = contrast.darker(brand, step)
            if _readable(shade, on_brand):
                return _('a darker brand colour, e.g. brand = "%(shade)s"') % {"shade": shade}
    for text in (contrast.WHITE, contrast.BLACK):
        if _readable(brand, text):
            return _('another text colour: on_brand = "%(text)s"') % {"text": text}
    shade = next(
        contrast.darker(brand, step)
        for step in range(1, 33)
        if _readable(contrast.darker(brand, step), contrast.WHITE)
    )
    return _(
        'a darker brand colour with white text, e.g. brand = "%(shade)s", on_brand = "#ffffff"'
    ) % {"shade": shade}


def _check_theme(data: dict[str, Any]) -> Iterator[Problem]:
    cookies = data.get("cookies")
    theme = cookies.get("theme") if isinstance(cookies, dict) else None
    if not isinstance(theme, dict):
        return
    brand = contrast.normalised(_str(theme, "brand") or "")
    on_brand = contrast.normalised(_str(theme, "on_brand") or contrast.WHITE)
    if brand is None or on_brand is None:
        return  # a missing or malformed colour is the schema's to report
    here: Path = ("cookies", "theme")
    text = contrast.contrast_ratio(on_brand, brand)
    if text < TEXT_CONTRAST:
        yield (
            (*here, "on_brand" if "on_brand" in theme else "brand"),
            _(
                'the buttons\' text "%(on_brand)s" on the brand colour "%(brand)s" has a '
                "contrast ratio of %(ratio).2f:1; WCAG 2.2 success criterion 1.4.3 (Contrast, "
                "level AA) needs at least %(needed)g:1 for their 16 px bold text. Choose %(fix)s"
            )
            % {
                "on_brand": on_brand,
                "brand": brand,
                "ratio": text,
                "needed": TEXT_CONTRAST,
                "fix": _theme_fix(brand, on_brand),
            },
        )
    component = contrast.contrast_ratio(brand, BANNER_BACKGROUND)
    if component < COMPONENT_CONTRAST:
        yield (
            (*here, "brand"),
            _(
                'the brand colour "%(brand)s" against the banner\'s white background '
                '"%(background)s" has a contrast ratio of %(ratio).2f:1; WCAG 2.2 success '
                "criterion 1.4.11 (Non-text Contrast, level AA) needs at least %(needed)g:1 "
                "for the buttons, their borders and the switches. Choose %(fix)s"
            )
            % {
                "brand": brand,
                "background": BANNER_BACKGROUND,
                "ratio": component,
                "needed": COMPONENT_CONTRAST,
                "fix": _theme_fix(brand, on_brand),
            },
        )


#: The records a newsletter activity declares: how long an unconfirmed sign-up lasts (its
#: confirmation link expires with it) and how long the proof of consent is kept.
NEWSLETTER_RECORDS = ("pending_signup", "optin_proof")
NEWSLETTER_ACTIVITY = "newsletter"
#: The forms that can offer the newsletter's box, and the processors Gardien keeps a list at.
NEWSLETTER_OFFERED_WITH = ("contact",)
NEWSLETTER_CONNECTORS = ("brevo",)


def _check_newsletter(data: dict[str, Any]) -> Iterator[Problem]:
    section = data.get("newsletter")
    if not isinstance(section, dict):
        return
    activities = dict((_str(a, "id"), a) for _, a in _tables(data, "activities"))
    name = NEWSLETTER_ACTIVITY
    activity = activities.get(name)
    if activity is None:
        yield (
            ("newsletter",),
            _(
                'the newsletter is described by an activity with id = "%(name)s", which is not '
                "declared; add that [[activities]] entry"
            )
            % {"name": name},
        )
        return
    if _str(activity, "legal_basis") != "consent" or (
        activity.get("consent_recorded_by") != "double_opt_in"
    ):
        yield (
            ("newsletter",),
            _(
                'activity "%(name)s" must have legal_basis = "consent" and consent_recorded_by '
                '= "double_opt_in": people subscribe by confirming through the link they receive'
            )
            % {"name": name},
        )
    asked = [f for _, f in _tables(activity, "fields") if f.get("input") != "generated"]
    if [f.get("input") for f in asked] != ["email"]:
        yield (
            ("newsletter",),
            _(
                'activity "%(name)s" must collect exactly one field, with input = "email": the '
                "sign-up asks for the email address only"
            )
            % {"name": name},
        )
    records = {_str(r, "id") for _, r in _tables(activity, "records")}
    for record in NEWSLETTER_RECORDS:
        if record not in records:
            example = (
                "7 days after created" if record == "pending_signup" else "5 years after withdrawn"
            )
            yield (
                ("newsletter",),
                _(
                    'activity "%(name)s" must say how long its %(what)s records are kept: add '
                    '[[activities.records]] with id = "%(record)s" and e.g. '
                    'retention = "%(example)s"'
                )
                % {
                    "name": name,
                    "what": record.replace("_", " "),
                    "record": record,
                    "example": example,
                },
            )
    for j, other in _strs(section, "offered_with"):
        if other not in activities or other not in NEWSLETTER_OFFERED_WITH:
            yield (
                ("newsletter", "offered_with", j),
                _(
                    '"%(other)s" is not another declared activity with a form that can offer '
                    "the sign-up box; Gardien offers it on: %(known)s"
                )
                % {"other": other, "known": ", ".join(NEWSLETTER_OFFERED_WITH)},
            )
    processor = _str(section, "processor")
    if processor and processor not in NEWSLETTER_CONNECTORS:
        yield (
            ("newsletter", "processor"),
            _(
                'Gardien has no connector for processor "%(processor)s"; it keeps a list at: '
                "%(known)s. Leave processor out to send from Gardien only"
            )
            % {"processor": processor, "known": ", ".join(NEWSLETTER_CONNECTORS)},
        )
    if processor and processor not in {n for _, n in _strs(activity, "recipients")}:
        yield (
            ("newsletter", "processor"),
            _(
                'processor "%(processor)s" is not one of activity "%(name)s"\'s recipients; '
                "add it to its recipients so that the policy names it"
            )
            % {"processor": processor, "name": name},
        )


def _check_audience(data: dict[str, Any]) -> Iterator[Problem]:
    """Gardien's audience measurement stays within the CNIL's exemption: it runs under an
    exempt purpose the visitor can object to, its page views are kept 25 months at most,
    and an identifier, if any, is first party and declared."""
    section = data.get("audience")
    if not isinstance(section, dict):
        return
    cookies = data.get("cookies") if isinstance(data.get("cookies"), dict) else {}
    purposes = dict((_str(p, "id"), p) for _, p in _tables(cookies, "purposes"))
    purpose_id = _str(section, "purpose")
    purpose = purposes.get(purpose_id)
    if purpose is None:
        known = ", ".join(sorted(p for p in purposes if p)) or _("none")
        yield (
            ("audience", "purpose"),
            _(
                'purpose "%(purpose)s" is not a declared cookie purpose (declared: %(known)s); '
                "name the [[cookies.purposes]] entry the audience measurement runs under"
            )
            % {"purpose": purpose_id, "known": known},
        )
        return
    if _str(purpose, "consent") != "exempt_with_opt_out":
        yield (
            ("audience", "purpose"),
            _(
                'cookie purpose "%(purpose)s" must have consent = "exempt_with_opt_out": '
                "Gardien's audience measurement is built for the CNIL's exemption, which "
                "requires that visitors can object in the cookie window"
            )
            % {"purpose": purpose_id},
        )
    activities = dict((_str(a, "id"), a) for _, a in _tables(data, "activities"))
    activity = activities.get(_str(purpose, "activity"))
    if activity is None:
        yield (
            ("audience", "purpose"),
            _(
                'cookie purpose "%(purpose)s" must name its activity (activity = "<id>"): the '
                "activity says how long page views are kept and the policy describes it"
            )
            % {"purpose": purpose_id},
        )
    else:
        try:
            rule = retention.parse_rule(activity.get("retention", ""))
        except retention.RetentionSyntaxError:
            rule = None  # reported with the activity
        if rule is not None and (rule.after("collected") is None or len(rule.clauses) != 1):
            yield (
                ("audience", "purpose"),
                _(
                    'activity "%(activity)s" must keep page views for a period after they are '
                    'collected: write retention = "25 months after collected" (or less)'
                )
                % {"activity": activity.get("id")},
            )
        elif (
            rule is not None and rule.longest and rule.longest.days > (AUDIENCE_MAX_RETENTION.days)
        ):
            yield (
                ("audience", "purpose"),
                _(
                    'activity "%(activity)s" keeps page views %(rule)s, longer than the %(most)s '
                    "the CNIL's exemption allows for audience data; write e.g. "
                    'retention = "25 months after collected"'
                )
                % {
                    "activity": activity.get("id"),
                    "rule": rule.text,
                    "most": _period(AUDIENCE_MAX_RETENTION),
                },
            )
    if section.get("unique_visitors") is True:
        key = _str(section, "visitor_key") or "gardien_vid"
        declared = [
            item
            for _, service in _tables(cookies, "services")
            if _str(service, "purpose") == purpose_id and service.get("party") == "first"
            for _, item in _tables(service, "cookies")
            if _str(item, "name") == key
        ]
        if not declared or declared[0].get("storage") != "local_storage":
            yield (
                ("audience", "unique_visitors"),
                _(
                    "counting unique visitors keeps an identifier in the visitor's browser: "
                    'declare it in a first-party [[cookies.services]] of purpose "%(purpose)s" '
                    'as { name = "%(key)s", storage = "local_storage", lifetime = "13 months", '
                    "description = { … } }"
                )
                % {"purpose": purpose_id, "key": key},
            )
