"""Retention checks: every stored table has a period, and every rule can be enforced.

- gardien.E110: a model is neither personal data (``@personal_data``) nor declared in the
  retention registry (``@retained``, ``@technical``, ``@kept``), so nothing would ever
  remove its rows.
- gardien.E111: a category's rule is missing from the manifest (its activity or record).
- gardien.E112: a rule says "until <event>" but the registration does not say what happens
  at that event.
- gardien.E113: a rule counts "after" a moment but the model has no timestamp to count from.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, register
from django.utils.translation import gettext as _

from gardien.manifest.retention import AfterClause, UntilClause
from gardien.retention.registry import declarations
from gardien.vault.registry import registrations


@register("gardien")
def check_retention(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        from gardien.policy.services import draft

        manifest = draft()
    except Exception:  # the manifest check reports a broken manifest on its own
        manifest = None
    return retention_problems(apps.get_models(), manifest)


def retention_problems(models: Any, manifest: Any) -> list[CheckMessage]:
    covered = {r.label for r in registrations()} | {d.label for d in declarations()}
    problems: list[CheckMessage] = []
    for model in models:
        if model._meta.label_lower in covered:
            continue
        problems.append(
            Error(
                _(
                    "%(model)s stores rows that no retention rule covers, so they would be "
                    "kept for ever."
                )
                % {"model": model._meta.label},
                hint=_(
                    "Declare it next to its definition: @personal_data(…) if it holds "
                    "personal data, otherwise @retained(activity=…, timestamp=…), @technical(…) "
                    "or @kept(because=…) from gardien.retention.registry."
                ),
                obj=model,
                id="gardien.E110",
            )
        )
    if manifest is None:
        return problems
    from gardien.retention.engine import categories

    found, missing = categories(manifest)
    for unruled in missing:
        problems.append(
            Error(
                _("%(model)s keeps its rows under a rule the manifest does not give: %(problem)s.")
                % {"model": unruled.label, "problem": unruled.problem},
                hint=_(
                    "Add the activity or the [[activities.records]] entry with its "
                    "retention to the manifest (see examples/coopo/gardien.toml)."
                ),
                obj=unruled.label,
                id="gardien.E111",
            )
        )
    for category in found:
        if category.rule is None:
            continue
        mapped = dict(category.until)
        for clause in category.rule.clauses:
            if isinstance(clause, UntilClause) and clause.event not in mapped:
                problems.append(
                    Error(
                        _(
                            '%(model)s follows "%(rule)s" but nothing removes its rows when '
                            '"%(event)s" happens.'
                        )
                        % {
                            "model": category.model._meta.label,
                            "rule": category.rule.text,
                            "event": clause.event,
                        },
                        hint=_(
                            'Map the event in its registration: until={"%(event)s": '
                            '"<date field set at the event>"}, or AT_EVENT when the app '
                            "deletes the rows itself at that moment."
                        )
                        % {"event": clause.event},
                        obj=category.model,
                        id="gardien.E112",
                    )
                )
            if isinstance(clause, AfterClause) and category.timestamp is None:
                problems.append(
                    Error(
                        _(
                            '%(model)s follows "%(rule)s" but has no timestamp to count the '
                            "period from."
                        )
                        % {"model": category.model._meta.label, "rule": category.rule.text},
                        hint=_("Name its date field in the registration: timestamp=…"),
                        obj=category.model,
                        id="gardien.E113",
                    )
                )
    return problems
