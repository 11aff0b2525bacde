"""Sign the audit log with GARDIEN_AUDIT_KEYS, add its head and the triggers guarding it.

Entries written before this migration were chained with plain SHA-256. Their chain is
checked here first; if intact, each is signed under the newest audit key (so the log goes
on verifying), otherwise the migration stops and names the first broken entry, since
signing a tampered log would launder it. The triggers are created last: from then on no
row of the log can be changed.
"""

import datetime as dt
import hashlib
import json
import secrets

from django.db import migrations, models

from gardien.audit import guard, signing

GENESIS_HASH = "0" * 64


def _legacy_hash(entry):
    canonical = json.dumps(
        {
            "position": entry.position,
            "at": entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor_kind": entry.actor_kind,
            "actor_ref": entry.actor_ref,
            "action": entry.action,
            "target_type": entry.target_type,
            "target_ref": entry.target_ref,
            "reason": entry.reason,
            "prev_hash": entry.prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def sign_existing_log(apps, schema_editor):
    Entry = apps.get_model("audit", "AuditEntry")
    Checkpoint = apps.get_model("audit", "AuditCheckpoint")
    Head = apps.get_model("audit", "AuditHead")
    checkpoints = list(Checkpoint.objects.order_by("position"))
    entries = Entry.objects.order_by("position")
    # Even an empty log gets a signed head: an unsigned one could be forged back to empty.
    kid = signing.newest_key_id()  # a clear error when GARDIEN_AUDIT_KEYS is missing
    for checkpoint in checkpoints:
        checkpoint.key_id = kid
        checkpoint.mac = signing.sign("checkpoint", kid, signing.checkpoint_content(checkpoint))
    Checkpoint.objects.bulk_update(checkpoints, ["key_id", "mac"], batch_size=500)
    newest = checkpoints[-1] if checkpoints else None
    position = newest.position if newest else 0
    legacy_prev = new_prev = newest.hash if newest else GENESIS_HASH
    batch = []
    for entry in entries.iterator(chunk_size=2000):
        if entry.position != position + 1 or entry.prev_hash != legacy_prev:
            raise RuntimeError(
                f"The audit log is broken at entry {position + 1} (run `gardien audit verify` "
                "with the previous version of Gardien); it was not signed, since signing would "
                "hide the break. Investigate before migrating."
            )
        if entry.hash != _legacy_hash(entry):
            raise RuntimeError(
                f"The audit log's entry {entry.position} was edited; it was not signed, since "
                "signing would hide the edit. Investigate before migrating."
            )
        legacy_prev = entry.hash
        entry.prev_hash = new_prev
        entry.key_id = kid
        entry.hash = signing.sign("entry", kid, signing.entry_content(entry))
        new_prev, position = entry.hash, entry.position
        batch.append(entry)
        if len(batch) == 500:
            Entry.objects.bulk_update(batch, ["prev_hash", "key_id", "hash"])
            batch = []
    Entry.objects.bulk_update(batch, ["prev_hash", "key_id", "hash"])
    head = Head(id=1, install=secrets.token_hex(16), position=position, hash=new_prev, key_id=kid)
    head.mac = signing.sign("head", kid, signing.head_content(head))
    head.save()


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in guard.POSTGRES_CREATE if vendor == "postgresql" else guard.SQLITE_CREATE:
        schema_editor.execute(statement, params=None)  # no placeholders: % is PL/pgSQL's


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in guard.POSTGRES_DROP if vendor == "postgresql" else guard.SQLITE_DROP:
        schema_editor.execute(statement, params=None)  # no placeholders: % is PL/pgSQL's


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(default="", max_length=16, verbose_name="key id"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="key_id",
            field=models.CharField(default="", max_length=16, verbose_name="key id"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="mac",
            field=models.CharField(default="", max_length=64, verbose_name="signature"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="business_now",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="purge's date of reference"
            ),
        ),
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("install", models.CharField(max_length=32, verbose_name="installation")),
                ("position", models.PositiveBigIntegerField(verbose_name="highest position")),
                ("hash", models.CharField(max_length=64, verbose_name="hash at that position")),
                ("key_id", models.CharField(max_length=16, verbose_name="key id")),
                ("mac", models.CharField(max_length=64, verbose_name="signature")),
            ],
            options={
                "verbose_name": "audit log head",
                "verbose_name_plural": "audit log head",
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="audit_head_single")
                ],
            },
        ),
        migrations.RunPython(sign_existing_log, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
