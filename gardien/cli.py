"""The ``gardien`` command: Django's manage.py, with Gardien's settings built in."""

from __future__ import annotations

import os
import sys

OVERVIEW = """\
Gardien keeps the promises of your privacy policy.

Everyday commands:
  gardien check [PATH]            check the manifest (gardien.toml) and list every problem
  gardien policy publish          publish a new version of the policy if the manifest changed
  gardien policy history          list the published versions
  gardien register export         export the record of processing activities (json, csv or html)
  gardien site add-origin URL     allow a web site to show the banner and the forms
                                  (gardien site origins lists them)
  gardien runserver               serve Gardien locally (development)
  gardien migrate                 create or update the database tables
  gardien secrets init            generate the local secret keys once (development)
  gardien staff add NAME --role dpo|staff|viewer
                                  create a back-office account with its two-factor codes
  gardien staff list              list the back-office accounts
  gardien worker                  send queued emails and processor calls (keep it running)
  gardien purge                   delete the data whose retention period has ended (the
                                  worker does it daily); --dry-run shows what is due
  gardien rights list             the rights requests by due date (gardien rights --help)
  gardien audit verify            check that the audit log has not been tampered with
  gardien keys rotate             re-encrypt personal data under new keys
  gardien keys check              check that the configured keys are the data's
  gardien backup --to FILE        save an encrypted copy of everything Gardien keeps
  gardien restore --from FILE     put a copy back into a new Gardien, keeping every erasure
                                  made since
  gardien consent show ID         show the proofs of a visitor's cookie choices
  gardien consent verify [--id ID]
                                  check that no sealed proof of consent was changed or removed
  gardien audience report --from DATE --to DATE
                                  the site's audience statistics for a period

Every command explains itself with --help, e.g. `gardien policy --help`.
All of Django's commands are available too: `gardien help --all`.
"""


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gardien.settings")
    if len(args) < 2 or args[1] in ("-h", "--help") or args[1:] == ["help"]:
        sys.stdout.write(OVERVIEW)
        return
    if args[1:] == ["help", "--all"]:
        args = args[:2]
    from gardien.lib.env import EnvError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(args)
    except EnvError as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
