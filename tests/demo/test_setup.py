"""`gardien demo setup` creates a superuser for the demonstration: never on a real site."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError


def test_demo_setup_is_refused_under_production_settings(db, settings):
    settings.PRODUCTION = True
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("demo", "setup", stdout=out)
    assert refused.value.returncode == 1
    assert "GARDIEN_PRODUCTION=true" in str(refused.value)
    assert "gardien staff add" in str(refused.value)
    assert not get_user_model().objects.exists()
    assert out.getvalue() == ""


def test_demo_setup_runs_outside_production(db, settings):
    settings.PRODUCTION = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", "setup", stdout=io.StringIO())
    assert get_user_model().objects.filter(username="demo", is_superuser=True).exists()
