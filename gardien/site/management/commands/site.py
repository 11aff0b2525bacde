from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gardien.lib import when
from gardien.lib.command import GardienCommand, InputError
from gardien.site import services
from gardien.site.models import AddedFrom


class Command(GardienCommand):
    help: Any = gettext_lazy(
        "Manages the web sites allowed to show Gardien's cookie banner and forms and to call "
        "its APIs (besides Gardien's own address, SITE_URL). A site is named by its origin: "
        "https:// and the host name, e.g. https://www.example.org, with no path. Changing this "
        "list publishes nothing: it is a technical setting, not part of the privacy policy. "
        "Every change is written in the audit log."
    )
    epilog: Any = gettext_lazy(
        "Example: gardien site add-origin https://www.example.org. A site not allowed does not "
        "show the banner; the browser's console says which origin to add, and the back office "
        "lists the sites refused recently (Site settings)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{add-origin,remove-origin,origins}"
        )
        add = sub.add_parser(
            "add-origin",
            help=_("allow a web site to show the banner and the forms"),
            description=_(
                "Allow a web site to show Gardien's banner and forms. Give its origin as the "
                "browser shows it: https:// and the host name, e.g. https://www.example.org "
                "(the site with and without www are two origins)."
            ),
        )
        add.add_argument("origin", metavar="URL", help=_("the site's origin"))
        remove = sub.add_parser(
            "remove-origin",
            help=_("stop allowing a web site"),
            description=_(
                "Stop allowing a web site: the banner and the forms no longer work on its "
                "pages (a few seconds later in every Gardien process)."
            ),
        )
        remove.add_argument("origin", metavar="URL", help=_("the site's origin"))
        sub.add_parser(
            "origins",
            help=_("list the allowed web sites, who added each and when"),
            description=_(
                "List the web sites allowed to show the banner and the forms, with who added "
                "each and when."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "origins":
            self._list()
            return
        try:
            if action == "add-origin":
                row, created = services.add(options["origin"], source=AddedFrom.COMMAND)
                if created:
                    self.stdout.write(
                        _(
                            "%(origin)s is allowed: the banner and the forms work on its pages "
                            "within a few seconds. Nothing was published."
                        )
                        % {"origin": row.origin}
                    )
                else:
                    self.stdout.write(
                        _("%(origin)s was already allowed; nothing changed.")
                        % {"origin": row.origin}
                    )
            else:
                origin = services.remove(options["origin"], source=AddedFrom.COMMAND)
                self.stdout.write(
                    _(
                        "%(origin)s is no longer allowed: the banner and the forms stop working "
                        "on its pages within a few seconds."
                    )
                    % {"origin": origin}
                )
        except services.InvalidOrigin as exc:
            raise InputError(str(exc)) from None
        except services.NotListed as exc:
            raise InputError(
                _("%(origin)s is not an allowed origin; `gardien site origins` lists them.")
                % {"origin": exc.args[0]}
            ) from None

    def _list(self) -> None:
        rows = services.listed()
        self.stdout.write(
            _("Gardien's own address, always allowed: %(url)s") % {"url": services.own_origin()}
        )
        if not rows:
            self.stdout.write(
                _("No other site is allowed; add one with `gardien site add-origin URL`.")
            )
            return
        width = max(len(row.origin) for row in rows)
        for row in rows:
            self.stdout.write(
                _("%(origin)s  added %(when)s by %(who)s")
                % {
                    "origin": row.origin.ljust(width),
                    "when": when.text(row.added_at),
                    "who": services.added_by(row),
                }
            )
        count = len(rows)
        self.stdout.write(
            ngettext("%(count)d other site allowed.", "%(count)d other sites allowed.", count)
            % {"count": count}
        )
