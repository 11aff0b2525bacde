"""Two-factor secrets at rest: TOTP keys encrypted under the field keys, backup codes hashed.

A copy of the database must not hand over the second factor: the dump test enrols an
account as `gardien staff add` does and looks for its key and codes in every table.
"""

from __future__ import annotations

import base64
import os
from base64 import b32decode
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from gardien.lib import crypto
from gardien.vault.models import EncryptedTOTPDevice, HashedStaticToken
from tests.backoffice.helpers import Account, is_logged_in, new_client, post_login
from tests.vault.test_dump import _dump


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _enrol(username: str = "gina") -> Account:
    user, password, two_factor = accounts.create_account(username, BY_SLUG["dpo"])
    return Account(user, password, two_factor)


def _field_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def _logs_in(account: Account, code: str) -> bool:
    client = new_client()
    response = post_login(client, account.username, account.password, code)
    return response.status_code == 302 and is_logged_in(client)


def test_a_dump_shows_no_totp_key_and_no_backup_code(transactional_db):
    account = _enrol()
    secret = account.two_factor.secret
    hex_key = b32decode(secret).hex()
    dump = _dump()
    assert EncryptedTOTPDevice.objects.filter(user=account.user).exists()
    for clear in (secret, secret.lower(), hex_key, hex_key.upper()):
        assert clear not in dump
    for code in account.two_factor.backup_codes:
        assert code not in dump and code.upper() not in dump
    assert HashedStaticToken.objects.count() == accounts.BACKUP_CODES


def test_the_authenticator_code_logs_in(db):
    account = _enrol()
    assert _logs_in(account, account.code())


def test_a_backup_code_logs_in_once(db):
    account = _enrol()
    code = account.two_factor.backup_codes[3]
    assert _logs_in(account, code.upper())  # typed as read: case and dashes do not matter
    assert accounts.backup_codes_left(account.user) == accounts.BACKUP_CODES - 1
    assert not _logs_in(account, code)
    assert accounts.backup_codes_left(account.user) == accounts.BACKUP_CODES - 1


def test_a_code_of_another_account_does_not_log_in(db):
    gina, hugo = _enrol("gina"), _enrol("hugo")
    assert not _logs_in(gina, hugo.two_factor.backup_codes[0])
    assert accounts.backup_codes_left(hugo.user) == accounts.BACKUP_CODES


def test_backup_codes_still_work_after_a_change_of_secret_key(db, settings):
    account = _enrol()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert _logs_in(account, account.two_factor.backup_codes[0])


def test_keys_rotate_re_encrypts_totp_keys_and_login_still_works(db, settings):
    account = _enrol()
    before = account.device.encrypted_key
    old = settings.GARDIEN_FIELD_KEYS[0]
    new = _field_key()
    settings.GARDIEN_FIELD_KEYS = [new, old]
    out = StringIO()
    call_command("keys", "rotate", stdout=out)
    settings.GARDIEN_FIELD_KEYS = [new]  # the old key is gone
    after = account.device.encrypted_key
    assert after != before and crypto.is_under_newest_key(after)
    assert _logs_in(account, account.code())


def test_the_migration_moves_existing_devices(transactional_db):
    """Devices enrolled before the change (django-otp's, in clear) keep working after it."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    executor = MigrationExecutor(connection)
    executor.migrate([("vault", "0003_two_factor_at_rest")])
    try:
        user = get_user_model().objects.create_user("old", password="x", is_staff=True)
        totp = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        static = StaticDevice.objects.create(user=user, name="codes", confirmed=True)
        StaticToken.objects.create(device=static, token="abcd2345")
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes("vault"))
    finally:
        call_command("migrate", verbosity=0)
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    device = EncryptedTOTPDevice.objects.get(user=user)
    assert device.bin_key == totp.bin_key and totp.key not in device.encrypted_key
    assert accounts.backup_codes_left(user) == 1
    from gardien.vault.models import HashedStaticDevice

    assert HashedStaticDevice.objects.get(user=user).verify_token("abcd2345")
    assert accounts.backup_codes_left(user) == 0
