"""Back-office personas: accounts created as `gardien staff add` does."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from tests.backoffice.helpers import PASSWORD, Account


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    # Argon2 costs half a second a hash; these tests are about who gets in, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_account(db: Any) -> Any:
    """An account with a role, created as `gardien staff add` does (random password)."""

    def make(username: str, role: str) -> Account:
        user, password, two_factor = accounts.create_account(username, BY_SLUG[role])
        return Account(user, password, two_factor)

    return make


@pytest.fixture
def outsider(db: Any) -> Account:
    """A staff account with two-factor devices but no role."""
    user = get_user_model().objects.create_user("outsider", password=PASSWORD, is_staff=True)
    return Account(user, PASSWORD, accounts.provision_two_factor(user))
