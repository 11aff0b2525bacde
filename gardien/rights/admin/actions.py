"""The case page's actions: their forms (each builds on :class:`.base.ActionForm`; those of a
correction are in :mod:`.correction`), what each one does (a run function calling
:mod:`services`, :mod:`fulfil`, :mod:`rectify`, :mod:`recipients` or :mod:`identity`, and the
sentence shown once done), when it is offered, its words (:class:`Action`); all of them in the
page's order (:data:`ACTIONS`), by name (:data:`BY_NAME`), and :func:`_form`, which builds an
action's form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gardien.audit.services import Actor
from gardien.rights import fulfil, identity, recipients, rectify, services
from gardien.rights.admin.base import ActionForm
from gardien.rights.admin.correction import ApplyCorrectionForm, CorrectionForm
from gardien.rights.admin.words import _activities, _day
from gardien.rights.models import IdentityDocument, Right, RightsRequest
from gardien.vault.models import Restriction

State = RightsRequest.State


class VerifyForm(ActionForm):
    how = forms.CharField(
        label=gettext_lazy("How did you verify the person's identity?"),
        help_text=gettext_lazy(
            "For example: “signed letter compared with the one on file”, “known "
            "correspondent, answered from the address on file”. Written in the timeline: "
            "no email address, no document number."
        ),
        max_length=200,
        required=False,
    )

    def clean_how(self) -> str:
        how: str = self.cleaned_data["how"]
        if "@" in how:
            raise forms.ValidationError(
                _(
                    "Do not write an email address here: the timeline keeps no personal "
                    "value. Say how, not who."
                )
            )
        return how


class ReasonForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reasons, as the person will read them"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class EraseForm(ActionForm):
    activity = forms.ChoiceField(
        label=gettext_lazy("What to erase"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose what to erase from the list.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = ("", _("everything held about the person, in every activity"))
        self.fields["activity"].choices = [everything, *_activities()]  # type: ignore[attr-defined]


class RestrictForm(ActionForm):
    ground = forms.ChoiceField(
        label=gettext_lazy("Why processing is restricted (Art. 18(1))"),
        choices=Restriction.Ground.choices,
        error_messages={
            "required": gettext_lazy("Choose the ground of the restriction."),
            "invalid_choice": gettext_lazy("Choose the ground of the restriction from the list."),
        },
    )


class ObjectForm(ActionForm):
    activity = forms.ChoiceField(
        label=gettext_lazy("The processing the person objects to"),
        error_messages={
            "required": gettext_lazy("Choose the processing the person objects to."),
            "invalid_choice": gettext_lazy("Choose the processing from the list."),
        },
    )
    compelling = forms.CharField(
        label=gettext_lazy("Compelling legitimate grounds (optional)"),
        help_text=gettext_lazy(
            "Leave empty to erase the data of this processing. Write the grounds only if the "
            "organisation has compelling reasons that override the person's interests: the "
            "data is then restricted while you examine them. Never for the newsletter."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity"].choices = [("", "—"), *_activities()]  # type: ignore[attr-defined]


class IdentityForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Your reasonable doubt about the person's identity"),
        help_text=gettext_lazy(
            "Recorded on the request and told to the person, in these words. A proof is asked "
            "only with a reasonable doubt; it is destroyed when the request closes."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": gettext_lazy(
                "Give the reason for the doubt about the person's identity: a proof is asked "
                "only with a reasonable doubt, and the person is told why."
            )
        },
    )


class ContestForm(ActionForm):
    activity = forms.ChoiceField(
        label=gettext_lazy("The data contested"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose the data contested from the list.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = ("", _("everything held about the person, in every activity"))
        self.fields["activity"].choices = [everything, *_activities()]  # type: ignore[attr-defined]


class DecideForm(ActionForm):
    accurate = forms.ChoiceField(
        label=gettext_lazy("Your decision"),
        choices=[
            ("yes", gettext_lazy("The data is accurate: nothing to correct.")),
            ("no", gettext_lazy("The data was not accurate: the corrections are applied.")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Say whether the data was accurate."),
            "invalid_choice": gettext_lazy("Say whether the data was accurate."),
        },
    )


class MarkToldForm(ActionForm):
    recipient = forms.CharField(
        widget=forms.HiddenInput,
        max_length=63,
        error_messages={"required": gettext_lazy("Say which recipient was told.")},
    )


Run = Callable[[RightsRequest, dict[str, Any], Actor], str]


def _verify(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    services.mark_verified(case, actor=actor, how=data["how"])
    return _("The identity is recorded as verified. You can now answer the request.")


def _extend(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    services.extend(case, reason=data["reason"], actor=actor)
    return _("The deadline is now %(day)s. The person is sent the reasons by email.") % {
        "day": _day(case.extended_to)
    }


def _refuse(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    services.refuse(case, reason=data["reason"], actor=actor)
    return _(
        "The request is refused and closed. The person is sent the reasons and how to "
        "complain to the supervisory authority."
    )


def _package(kind: str) -> Run:
    def run(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
        fulfil.send_package(case, kind=kind, actor=actor)
        return _(
            "The person is being sent a single-use link to their data (or, when we hold "
            "nothing about them, a letter saying so)."
        )

    return run


def _erase(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    counts = fulfil.erase(case, actor=actor, activity=data["activity"] or None)
    total = sum(counts.values())
    return ngettext(
        "Erased: %(count)d record. The processors holding a copy and the person are told.",
        "Erased: %(count)d records. The processors holding a copy and the person are told.",
        total,
    ) % {"count": total}


def _restrict(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    if fulfil.restrict(case, actor=actor, ground=data["ground"]):
        return _("Processing is restricted. The person is told by email.")
    return _(
        "We hold no data about this person: there was nothing to restrict. The timeline says so."
    )


def _lift(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    fulfil.lift(case, actor=actor)
    return _(
        "The person is being told that the restriction will be lifted; it is lifted as soon "
        "as the email is sent."
    )


def _object(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    done = fulfil.object_to(
        case, activity=data["activity"], actor=actor, compelling=data["compelling"]
    )
    return {
        "unsubscribed": _("The person is unsubscribed from the newsletter, and told."),
        "restricted": _(
            "The data of this processing is restricted while you examine the compelling "
            "grounds. The person is told."
        ),
        "erased": _("The data of this processing is erased. The person is told."),
    }.get(done, done)


def _withdraw(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    fulfil.withdraw(case, actor=actor)
    return _("Consent is withdrawn, as the unsubscribe link would. The person is told.")


def _ask_identity(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    return identity.ask(case, reason=data["reason"], actor=actor).message


def _contest(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    rectify.contest(case, actor=actor, activity=data["activity"] or None)
    return _(
        "Processing is restricted while you check the accuracy contested; the restriction "
        "holds until you decide. The person is told by email; the recipients to tell are "
        "listed below."
    )


def _rectify(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    rectify.apply(case, [data["correction"]], actor=actor)
    record_words, field_words = data["words"]
    return _(
        "Corrected: %(field)s of %(record)s. The person is told by email; the recipients to "
        "tell are listed below."
    ) % {"field": field_words, "record": record_words}


def _decide(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    accurate = data["accurate"] == "yes"
    rectify.decide(case, accurate=accurate, actor=actor)
    if accurate:
        return _(
            "Your decision is recorded: the data is accurate. The person is being told; the "
            "restriction is lifted as soon as the email is sent."
        )
    return _(
        "Your decision is recorded: the data was corrected. The person is being told; the "
        "restriction is lifted as soon as the email is sent."
    )


def _mark_told(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    told = recipients.mark_told(case, data["recipient"], actor=actor)
    name = told[0].name if told else data["recipient"]
    return _("%(recipient)s is recorded as told, with the date and your name.") % {
        "recipient": name
    }


def _close(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    services.close(case, actor=actor)
    return _("The request is closed. A proof of identity, if there was one, is destroyed.")


def _open(case: RightsRequest) -> bool:
    return case.closed_at is None


def _waiting(case: RightsRequest) -> bool:
    return _open(case) and case.state == State.AWAITING_VERIFICATION


def _verified(case: RightsRequest) -> bool:
    return _open(case) and case.state == State.VERIFIED


def _document_awaited(case: RightsRequest) -> bool:
    """Waiting for verification, and no proof of identity received yet."""
    received = IdentityDocument.objects.filter(request=case, uploaded_at__isnull=False)
    return _waiting(case) and not received.exists()


def _rectification(case: RightsRequest) -> bool:
    return _verified(case) and Right.RECTIFICATION in case.rights


def _never(case: RightsRequest) -> bool:
    return False


@dataclass(frozen=True)
class Action:
    name: str
    title: Promise
    explain: Promise
    confirm: Promise
    button: Promise
    form: type[ActionForm]
    shown: Callable[[RightsRequest], bool]
    run: Run
    #: The right asked that this action answers, if any.
    answers: str = ""
    #: Offered by its own block of the page (a preview, a notice), not in the actions' list.
    inline: bool = False


ACTIONS: tuple[Action, ...] = (
    Action(
        "verify",
        gettext_lazy("Record how the identity was verified"),
        gettext_lazy(
            "When the person did not follow the link sent to the address concerned (a letter, "
            "an address we do not hold), verify their identity another way and say how. Ask "
            "for a proof of identity only if you have a reasonable doubt."
        ),
        gettext_lazy("I verified the identity of the person as written above."),
        gettext_lazy("Record the verification"),
        VerifyForm,
        _waiting,
        _verify,
    ),
    Action(
        "identity",
        gettext_lazy("Ask for a proof of identity"),
        gettext_lazy(
            "Only with a reasonable doubt about who the person is, which you write below: it "
            "is recorded and told to them. With an email address, the person is sent a link "
            "to upload a JPEG, PNG or PDF; without one, ask by post. You can open the proof "
            "here once received; it is destroyed when the request closes."
        ),
        gettext_lazy("Ask the person for a proof of identity, for the reason written above."),
        gettext_lazy("Ask for a proof"),
        IdentityForm,
        _document_awaited,
        _ask_identity,
    ),
    Action(
        "extend",
        gettext_lazy("Extend the deadline"),
        gettext_lazy(
            "Only when the request is complex or there are many, only once, and only before "
            "the first due date passes. The new deadline is set by the policy; the person is "
            "sent the reasons."
        ),
        gettext_lazy("Extend the deadline and send the reasons to the person."),
        gettext_lazy("Extend"),
        ReasonForm,
        lambda case: _open(case) and case.extended_to is None,
        _extend,
    ),
    Action(
        "access",
        gettext_lazy("Send a copy of the data (access)"),
        gettext_lazy(
            "The person receives a single-use link to a letter and a file of everything we "
            "hold about them, in every activity. If we hold nothing, the letter says so."
        ),
        gettext_lazy("Send the person the link to a copy of their data."),
        gettext_lazy("Send the copy"),
        ActionForm,
        _verified,
        _package("access"),
        Right.ACCESS,
    ),
    Action(
        "portability",
        gettext_lazy("Send the data in a reusable format (portability)"),
        gettext_lazy(
            "The person receives a single-use link to the data they gave us themselves, as "
            "JSON and CSV files another service can read."
        ),
        gettext_lazy("Send the person the link to their data in a reusable format."),
        gettext_lazy("Send the data"),
        ActionForm,
        _verified,
        _package("portability"),
        Right.PORTABILITY,
    ),
    Action(
        "contest",
        gettext_lazy("Record that the person contests accuracy"),
        gettext_lazy(
            "When the person says their data is wrong, its processing is restricted (Art. "
            "18(1)(a)) while you check it: of every activity, or of the one chosen. The "
            "person and the recipients are told. Then correct what is wrong and decide."
        ),
        gettext_lazy("Restrict this data until I decide on its accuracy."),
        gettext_lazy("Record the contest"),
        ContestForm,
        lambda case: _rectification(case) and rectify.held_restriction(case) is None,
        _contest,
        Right.RECTIFICATION,
    ),
    Action(
        "rectify_preview",
        gettext_lazy("Correct a value"),
        gettext_lazy(
            "Choose the record and the value to correct, and write the correct value. You see "
            "the value now and the new one before anything changes; the person and the "
            "recipients are told once you apply it. The timeline names the field, never the "
            "values."
        ),
        gettext_lazy("Preview the correction"),
        gettext_lazy("Preview the correction"),
        CorrectionForm,
        _rectification,
        lambda case, data, actor: "",  # never run: the case page shows the preview
        Right.RECTIFICATION,
    ),
    Action(
        "rectify",
        gettext_lazy("Apply this correction"),
        gettext_lazy("Nothing is changed yet. Check the value now and the new one."),
        gettext_lazy("Apply this correction. The person and the recipients are told."),
        gettext_lazy("Apply this correction"),
        ApplyCorrectionForm,
        _never,
        _rectify,
        Right.RECTIFICATION,
        inline=True,
    ),
    Action(
        "decide",
        gettext_lazy("Decide on the contested accuracy"),
        gettext_lazy(
            "When you have checked the data the person contests: say whether it was accurate "
            "or, once the corrections are applied above, that it was not. The person is told "
            "the decision first, then the restriction is lifted (Art. 18(3))."
        ),
        gettext_lazy("Record my decision and tell the person before the restriction is lifted."),
        gettext_lazy("Record the decision"),
        DecideForm,
        lambda case: _verified(case) and rectify.pending(case),
        _decide,
        Right.RECTIFICATION,
    ),
    Action(
        "erase",
        gettext_lazy("Erase the data"),
        gettext_lazy(
            "Erases every record of the person (or of one activity), their pending newsletter "
            "sign-ups and, with a consent reference, their cookie proofs. The processors "
            "holding a copy are told, and the person by email. This request and its timeline "
            "are kept as the record of the answer. It cannot be undone."
        ),
        gettext_lazy("Erase this data now. I understand it cannot be undone."),
        gettext_lazy("Erase"),
        EraseForm,
        _verified,
        _erase,
        Right.ERASURE,
    ),
    Action(
        "restrict",
        gettext_lazy("Restrict processing"),
        gettext_lazy(
            "The data is kept but no longer used: no newsletter, nothing sent to processors. "
            "Under grounds (b) and (c) the retention purge keeps it too while the restriction "
            "lasts. The person is told by email."
        ),
        gettext_lazy("Restrict the processing of this person's data on the ground chosen."),
        gettext_lazy("Restrict"),
        RestrictForm,
        _verified,
        _restrict,
        Right.RESTRICTION,
    ),
    Action(
        "lift",
        gettext_lazy("Lift the restriction"),
        gettext_lazy(
            "The person must be told before a restriction is lifted (Art. 18(3)): Gardien "
            "sends the notice first and lifts the restriction as soon as it is sent."
        ),
        gettext_lazy("Tell the person, then lift the restriction."),
        gettext_lazy("Lift the restriction"),
        ActionForm,
        lambda case: _verified(case) and case.person_id is not None,
        _lift,
    ),
    Action(
        "object",
        gettext_lazy("Record an objection"),
        gettext_lazy(
            "To the newsletter: the person is unsubscribed at once, unconditionally. To "
            "another processing: its data is erased, unless you write compelling legitimate "
            "grounds, in which case it is restricted while you examine them. The person is "
            "told by email."
        ),
        gettext_lazy("Apply the objection to the processing chosen."),
        gettext_lazy("Apply the objection"),
        ObjectForm,
        _verified,
        _object,
        Right.OBJECTION,
    ),
    Action(
        "withdraw",
        gettext_lazy("Withdraw consent"),
        gettext_lazy(
            "Has the effect of the newsletter's unsubscribe link and, with a consent "
            "reference, of the withdrawal in the cookie window. The person is told by email."
        ),
        gettext_lazy("Withdraw the person's consent."),
        gettext_lazy("Withdraw consent"),
        ActionForm,
        _verified,
        _withdraw,
        Right.WITHDRAWAL,
    ),
    Action(
        "refuse",
        gettext_lazy("Refuse the request"),
        gettext_lazy(
            "Only when the request is manifestly unfounded or excessive, for example "
            "repetitive. The person is sent your reasons, and told they may complain to the "
            "supervisory authority and seek a judicial remedy. The request is then closed."
        ),
        gettext_lazy("Refuse this request and send the reasons to the person."),
        gettext_lazy("Refuse"),
        ReasonForm,
        _open,
        _refuse,
    ),
    Action(
        "close",
        gettext_lazy("Close the request"),
        gettext_lazy(
            "When everything asked is done. A proof of identity, if there is one, is "
            "destroyed now. The request and its timeline are kept as the record of the answer."
        ),
        gettext_lazy("Everything asked is done: close this request."),
        gettext_lazy("Close"),
        ActionForm,
        _open,
        _close,
    ),
    Action(
        "mark_told",
        gettext_lazy("Mark as told"),
        gettext_lazy("You wrote to this recipient about every action still waiting for it."),
        gettext_lazy("I told this recipient of every action still waiting for it."),
        gettext_lazy("Mark as told"),
        MarkToldForm,
        _never,
        _mark_told,
        inline=True,
    ),
)
BY_NAME: dict[str, Action] = {action.name: action for action in ACTIONS}
PREVIEW = "rectify_preview"


def _form(
    action: Action,
    data: Any = None,
    case: RightsRequest | None = None,
    *,
    sentence: str = "",
    prefix_id: str = "",
    **kwargs: Any,
) -> ActionForm:
    return action.form(
        data,
        sentence=sentence or str(action.confirm),
        case=case,
        auto_id=f"id_{prefix_id or action.name}_%s",
        label_suffix="",
        **kwargs,
    )
