"""Seals and their removals signed with the audit key, and chained to one another."""

from django.db import migrations, models


def sign_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Chain the seals made before this release in their order and sign them, as the seal
    module does for new ones (the content must stay the one gardien.consent.seal signs)."""
    from gardien.audit import signing

    ConsentSeal = apps.get_model("consent", "ConsentSeal")
    ConsentSealRemoval = apps.get_model("consent", "ConsentSealRemoval")
    seals = list(ConsentSeal.objects.order_by("first_pk"))
    removals = list(ConsentSealRemoval.objects.order_by("pk"))
    if not seals and not removals:
        return
    kid = signing.newest_key_id()  # a clear error when GARDIEN_AUDIT_KEYS is missing
    link = 0
    for seal in seals:
        seal.after_pk, link = link, seal.last_pk
        seal.key_id = kid
        seal.signature = signing.sign(
            "consent seal",
            kid,
            {
                "id": seal.pk,
                "first_pk": seal.first_pk,
                "last_pk": seal.last_pk,
                "after_pk": seal.after_pk,
                "count": seal.count,
                "root": seal.root,
                "sealed_at": signing.instant(seal.sealed_at),
            },
        )
        seal.save(update_fields=["after_pk", "key_id", "signature"])
    for removal in removals:
        removal.key_id = kid
        removal.signature = signing.sign(
            "consent seal removal",
            kid,
            {
                "id": removal.pk,
                "seal": removal.seal_id,
                "removed_at": signing.instant(removal.removed_at),
                "cause": removal.cause,
                "count": removal.count,
                "positions": removal.positions,
            },
        )
        removal.save(update_fields=["key_id", "signature"])


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0004_consent_seal"),
        ("audit", "0002_signed_chain"),
    ]

    operations = [
        migrations.AddField(
            model_name="consentseal",
            name="after_pk",
            field=models.PositiveBigIntegerField(default=0, verbose_name="after proof"),
        ),
        migrations.AddField(
            model_name="consentseal",
            name="key_id",
            field=models.CharField(
                default="", editable=False, max_length=16, verbose_name="audit key"
            ),
        ),
        migrations.AddField(
            model_name="consentseal",
            name="signature",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="signature"
            ),
        ),
        migrations.AddField(
            model_name="consentsealremoval",
            name="key_id",
            field=models.CharField(
                default="", editable=False, max_length=16, verbose_name="audit key"
            ),
        ),
        migrations.AddField(
            model_name="consentsealremoval",
            name="signature",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="signature"
            ),
        ),
        migrations.RunPython(sign_existing, migrations.RunPython.noop),
    ]
