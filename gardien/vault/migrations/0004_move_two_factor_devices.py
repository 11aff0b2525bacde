"""Move django-otp's devices into Gardien's: TOTP keys encrypted, backup codes hashed.

Going back restores the TOTP devices; backup codes cannot be read back from their hashes,
so each account then needs `gardien staff otp-reset` for new ones.
"""

from django.db import migrations

from gardien.lib import crypto

COMMON = (
    "user_id",
    "name",
    "confirmed",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "created_at",
    "last_used_at",
)
TOTP = (*COMMON, "step", "t0", "digits", "tolerance", "drift", "last_t")


def forward(apps, schema_editor):
    OldTOTP = apps.get_model("otp_totp", "TOTPDevice")
    OldStatic = apps.get_model("otp_static", "StaticDevice")
    OldToken = apps.get_model("otp_static", "StaticToken")
    NewTOTP = apps.get_model("vault", "EncryptedTOTPDevice")
    NewStatic = apps.get_model("vault", "HashedStaticDevice")
    NewToken = apps.get_model("vault", "HashedStaticToken")
    for old in OldTOTP.objects.all():
        NewTOTP.objects.create(
            **{f: getattr(old, f) for f in TOTP}, encrypted_key=crypto.encrypt(old.key)
        )
    OldTOTP.objects.all().delete()
    for old in OldStatic.objects.all():
        new = NewStatic.objects.create(**{f: getattr(old, f) for f in COMMON})
        NewToken.objects.bulk_create(
            NewToken(device=new, digest=crypto.backup_code_digests(token)[0])
            for token in OldToken.objects.filter(device=old).values_list("token", flat=True)
        )
    OldStatic.objects.all().delete()


def backward(apps, schema_editor):
    OldTOTP = apps.get_model("otp_totp", "TOTPDevice")
    OldStatic = apps.get_model("otp_static", "StaticDevice")
    NewTOTP = apps.get_model("vault", "EncryptedTOTPDevice")
    NewStatic = apps.get_model("vault", "HashedStaticDevice")
    for new in NewTOTP.objects.all():
        OldTOTP.objects.create(
            **{f: getattr(new, f) for f in TOTP}, key=crypto.decrypt(new.encrypted_key)
        )
    for new in NewStatic.objects.all():
        OldStatic.objects.create(**{f: getattr(new, f) for f in COMMON})


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0003_two_factor_at_rest"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(forward, backward)]
