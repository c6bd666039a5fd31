"""The SM3 password hasher (pbkdf2_sm3, 国密): round trip, a known answer, constant-time
verification, the setting that puts it first, and passwords of the other hasher still
signing in and re-hashed at that sign-in (both ways)."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password

from sanpi.accounts.hashers import PBKDF2SM3PasswordHasher
from sanpi.accounts.services import login_check
from sanpi.accounts.tests.factories import UserFactory
from sanpi.core import sm3
from sanpi.core.tests.test_settings import _settings

SM3 = "sanpi.accounts.hashers.PBKDF2SM3PasswordHasher"
DJANGO = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
PASSWORD = "Shuru#2026mima"


@pytest.fixture
def sm3_first(settings):
    settings.PASSWORD_HASHERS = [SM3, DJANGO]
    settings.SANPI_PASSWORD_SM3_ITERATIONS = 3  # gmssl is slow; the count is stored per hash


def test_round_trip(sm3_first):
    encoded = make_password(PASSWORD)
    algorithm, iterations, salt, digest = encoded.split("$")
    assert (algorithm, iterations) == ("pbkdf2_sm3", "3")
    assert len(salt) >= 22  # Django's salt: 128 bits or more
    assert base64.b64decode(digest) == sm3.pbkdf2(PASSWORD.encode(), salt.encode(), 3)
    assert check_password(PASSWORD, encoded)
    assert not check_password(PASSWORD + "x", encoded)
    assert make_password(PASSWORD) != encoded  # a new salt each time
    summary = identify_hasher(encoded).safe_summary(encoded)
    assert summary["algorithm"] == "pbkdf2_sm3" and summary["iterations"] == 3
    assert PASSWORD not in str(summary) and salt not in str(summary)


def test_known_answer():
    # PBKDF2-HMAC-SM3("password", "salt", 2), computed with OpenSSL 3.
    expected = base64.b64encode(
        bytes.fromhex("fee723a2bc966e11dffb66133f4e8df577383c78ade30e3298edbd3e54ed85b7")
    ).decode()
    hasher = PBKDF2SM3PasswordHasher()
    assert hasher.encode("password", "salt", 2) == f"pbkdf2_sm3$2$salt${expected}"
    assert hasher.verify("password", f"pbkdf2_sm3$2$salt${expected}")
    assert not hasher.verify("password", f"pbkdf2_sm3$2$salt${expected[:-2]}AA")


def test_verification_compares_in_constant_time(sm3_first, monkeypatch):
    calls = []
    import sanpi.accounts.hashers as hashers

    real = hashers.constant_time_compare
    monkeypatch.setattr(
        hashers, "constant_time_compare", lambda a, b: calls.append((a, b)) or real(a, b)
    )
    encoded = make_password(PASSWORD)
    assert check_password(PASSWORD, encoded)
    assert calls and calls[-1][0] == encoded


def test_a_changed_iteration_count_asks_for_a_new_hash(sm3_first, settings):
    hasher = PBKDF2SM3PasswordHasher()
    encoded = make_password(PASSWORD)
    assert not hasher.must_update(encoded)
    settings.SANPI_PASSWORD_SM3_ITERATIONS = 4
    assert hasher.must_update(encoded)
    assert check_password(PASSWORD, encoded)  # still signs in with its own count


@pytest.mark.django_db
def test_a_password_of_djangos_hasher_signs_in_and_is_rehashed_with_sm3(settings):
    settings.PASSWORD_HASHERS = [DJANGO, SM3]
    user = UserFactory(username="wang")
    assert user.password.startswith("pbkdf2_sha256$")
    settings.PASSWORD_HASHERS = [SM3, DJANGO]
    settings.SANPI_PASSWORD_SM3_ITERATIONS = 3
    from sanpi.accounts.tests.factories import TEST_PASSWORD

    assert login_check(username="wang", password=TEST_PASSWORD) == user
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sm3$3$")
    assert login_check(username="wang", password=TEST_PASSWORD) == user
    # Back to the default: an SM3 hash still signs in and becomes Django's again.
    settings.PASSWORD_HASHERS = [DJANGO, SM3]
    assert login_check(username="wang", password=TEST_PASSWORD) == user
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")


def test_the_setting_puts_the_sm3_hasher_first(tmp_path):
    expr = "s.PASSWORD_HASHERS[0], s.PASSWORD_HASHERS[-1], s.SANPI_PASSWORD_SM3_ITERATIONS"
    default = _settings(tmp_path, expr)
    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == [DJANGO, SM3, "500"]
    chosen = _settings(
        tmp_path, expr, SANPI_PASSWORD_HASHER="sm3", SANPI_PASSWORD_SM3_ITERATIONS="800"
    )
    assert chosen.stdout.split() == [SM3, "django.contrib.auth.hashers.ScryptPasswordHasher", "800"]
    refused = _settings(tmp_path, expr, SANPI_PASSWORD_HASHER="sha3")
    assert refused.returncode != 0 and "SANPI_PASSWORD_HASHER 须为 default 或 sm3" in refused.stderr
    refused = _settings(tmp_path, expr, SANPI_PASSWORD_SM3_ITERATIONS="10")
    assert (
        refused.returncode != 0 and "SANPI_PASSWORD_SM3_ITERATIONS 不能小于 100" in refused.stderr
    )
