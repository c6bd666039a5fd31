"""Two-factor sign-in: enrolment, the second step, recovery codes, the roles that must use
it, a reset by the system administrator, and what each wrong input gets."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from sanpi.accounts import two_factor
from sanpi.accounts.services import api_token_create, api_token_user
from sanpi.accounts.tests.factories import TEST_PASSWORD, UserFactory, totp_code
from sanpi.core.errors import PermissionDenied
from sanpi.core.models import AuditLog

pytestmark = pytest.mark.django_db


def _password_step(client, username):
    return client.post("/accounts/login/", {"username": username, "password": TEST_PASSWORD})


def test_an_administrator_must_enrol_before_anything_else(client):
    UserFactory(username="sysadmin", role="admin")
    assert _password_step(client, "sysadmin").url == "/"  # no device yet: one step…
    response = client.get("/accounts/users/")
    assert response.status_code == 302 and response.url == "/accounts/me/2fa/"  # …then enrol
    # Nothing else either: not the API's documents, not an API token.
    assert client.get("/api/v1/docs").url == "/accounts/me/2fa/"
    made = client.post("/accounts/me/tokens/", {"name": "接口", "days": "90"})
    assert made.url == "/accounts/me/2fa/"
    page = client.get("/accounts/me/2fa/").content.decode()
    assert "<svg" in page and 'id="totp-secret"' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert len(secret.replace(" ", "")) == 32
    wrong = client.post("/accounts/me/2fa/", {"code": "000000"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    device = TOTPDevice.objects.get(user__username="sysadmin", confirmed=False)
    device.confirmed = True  # totp_code reads a confirmed device; enrol it through the page
    device.save()
    code = totp_code(device.user)
    device.confirmed = False
    device.save()
    done = client.post("/accounts/me/2fa/", {"code": code})
    assert done.status_code == 200
    codes = re.findall(r"<li class=\"col\">([a-z0-9]+)</li>", done.content.decode())
    assert len(codes) == 10
    assert client.get("/accounts/users/").status_code == 200  # this session is verified
    assert AuditLog.objects.filter(message="启用两步验证（身份验证器）").exists()


def test_with_a_device_the_password_alone_opens_no_session(client):
    user = UserFactory(username="li", role="leader")
    code = totp_code(user)
    response = _password_step(client, "li")
    assert response.url == "/accounts/login/otp/"
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/login/otp/", {"code": "123456"})
    assert wrong.status_code == 401 and "验证码不正确" in wrong.content.decode()
    user.refresh_from_db()
    assert user.failed_logins == 1  # a wrong code counts like a wrong password
    # django-otp throttles the device after a failure (1 s, doubling): let that pass.
    device = TOTPDevice.objects.get(user=user)
    assert device.throttling_failure_count == 1
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=5)
    )
    assert client.post("/accounts/login/otp/", {"code": code}).status_code == 302
    assert client.get("/").status_code == 200


def test_a_recovery_code_works_once(client):
    user = UserFactory(username="li", role="leader")
    totp_code(user)
    codes = two_factor._new_recovery_codes(user)
    _password_step(client, "li")
    assert client.post("/accounts/login/otp/", {"code": codes[0].upper()}).status_code == 302
    assert StaticToken.objects.count() == 9
    assert AuditLog.objects.filter(message="使用恢复码登录（剩余9个）").exists()
    client.post("/accounts/logout/")
    _password_step(client, "li")
    again = client.post("/accounts/login/otp/", {"code": codes[0]})
    assert again.status_code == 401


def test_the_second_step_expires_and_cannot_be_reached_directly(client):
    user = UserFactory(username="li", role="leader")
    code = totp_code(user)
    direct = client.get("/accounts/login/otp/")
    assert direct.status_code == 302 and direct.url == "/accounts/login/"
    _password_step(client, "li")
    session = client.session
    pending = session["sanpi_2fa_pending"]
    pending["at"] = time.time() - 6 * 60
    session["sanpi_2fa_pending"] = pending
    session.save()
    late = client.post("/accounts/login/otp/", {"code": code})
    assert late.status_code == 302 and late.url == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_the_roles_that_must_use_it_are_a_setting(client, settings):
    settings.SANPI_2FA_ROLES = ("all",)
    user = UserFactory(username="zhang", role="leader")
    assert two_factor.required_for(user)
    _password_step(client, "zhang")
    assert client.get("/").url == "/accounts/me/2fa/"
    settings.SANPI_2FA_ROLES = ("admin", "auditor")
    assert client.get("/").status_code == 200


def test_the_system_administrator_resets_a_lost_phone_audited(login):
    admin = UserFactory(username="sysadmin", role="admin")
    other = UserFactory(username="li", role="leader")
    totp_code(other)
    client = login(admin)
    response = client.post(f"/accounts/users/{other.pk}/2fa/reset/")
    assert response.status_code == 302
    assert not two_factor.enrolled(other)
    assert AuditLog.objects.filter(message="重置两步验证", object_id=str(other.pk)).exists()
    with pytest.raises(PermissionDenied):
        two_factor.reset(by=admin, user=admin)
    with pytest.raises(PermissionDenied):
        two_factor.reset(by=other, user=admin)


def test_a_role_that_must_use_it_has_no_api_token_without_it(settings):
    """The API is no way around the second factor: a role that must sign in with two
    factors gets no token before it has enrolled, and one made earlier stops working."""
    user = UserFactory(username="zhang", role="leader")
    _, key = api_token_create(by=user, name="接口")  # made before the policy covered leaders
    settings.SANPI_2FA_ROLES = ("all",)
    assert api_token_user(key) is None
    with pytest.raises(PermissionDenied) as info:
        api_token_create(by=user, name="又一个")
    assert info.value.message == two_factor.ENROL_FIRST
    totp_code(user)  # enrolled: the token works again, and more may be made
    assert api_token_user(key) == user
    api_token_create(by=user, name="又一个")
