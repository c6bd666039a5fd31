"""Sign-in under 等保三级: lockout after repeated failures, audited attempts, strong passwords."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection
from django.utils import timezone

from sanpi.accounts.models import User
from sanpi.accounts.services import (
    GENERIC_LOGIN_ERROR,
    LoginRefused,
    login_check,
    user_create,
    user_set_password,
)
from sanpi.accounts.tests.factories import TEST_PASSWORD, UserFactory
from sanpi.core.errors import ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.notifications.models import Notification

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.SANPI_LOCKOUT_THRESHOLD = 5
    settings.SANPI_LOCKOUT_MINUTES = 30


def _refusal(username: str, password: str) -> str:
    with pytest.raises(LoginRefused) as exc:
        login_check(username=username, password=password)
    return exc.value.message


def _attempts(user: User) -> list[str]:
    rows = AuditLog.objects.filter(object_type="accounts.user", object_id=str(user.pk))
    return list(rows.order_by("id").values_list("action", flat=True))


@pytest.mark.django_db
class TestLockout:
    def test_five_failures_lock_the_account(self):
        user = UserFactory(username="zhang")
        UserFactory(username="sysadmin", role="admin")
        for _ in range(4):
            # Same words as for an unknown username: a refusal reveals no account.
            assert _refusal("zhang", "wrong-Password1") == GENERIC_LOGIN_ERROR
            assert _refusal("nobody", "wrong-Password1") == GENERIC_LOGIN_ERROR
        message = _refusal("zhang", "wrong-Password1")
        assert message == GENERIC_LOGIN_ERROR  # the attacker is not told it locked
        user.refresh_from_db()
        assert user.locked_until > timezone.now() + dt.timedelta(minutes=29)
        assert _attempts(user) == ["login_failed"] * 4 + ["locked"]
        # The owner and the system administrators are told.
        told = Notification.objects.filter(kind="account_locked")
        assert set(told.values_list("recipient__username", flat=True)) == {"zhang", "sysadmin"}
        assert "zhang" in told.first().title

    def test_locked_account_refused_even_with_the_right_password(self):
        user = UserFactory(username="zhang")
        for _ in range(5):
            _refusal("zhang", "wrong-Password1")
        message = _refusal("zhang", TEST_PASSWORD)
        assert message == GENERIC_LOGIN_ERROR  # same words: locked is not revealed
        assert _attempts(user)[-1] == "login_failed"
        assert AuditLog.objects.filter(action="login_failed", message="账号已锁定").count() == 1

    def test_lock_expires(self):
        user = UserFactory(username="zhang")
        for _ in range(5):
            _refusal("zhang", "wrong-Password1")
        User.objects.filter(pk=user.pk).update(
            locked_until=timezone.now() - dt.timedelta(seconds=1)
        )
        assert login_check(username="zhang", password=TEST_PASSWORD) == user
        user.refresh_from_db()
        assert (user.failed_logins, user.locked_until) == (0, None)

    def test_success_resets_the_count(self):
        user = UserFactory(username="zhang")
        for _ in range(4):
            _refusal("zhang", "wrong-Password1")
        login_check(username="zhang", password=TEST_PASSWORD)
        for _ in range(4):
            _refusal("zhang", "wrong-Password1")
        user.refresh_from_db()
        assert user.locked_until is None
        assert user.failed_logins == 4

    def test_unknown_user_gets_the_same_message(self):
        assert _refusal("nobody", "whatever-Password1") == GENERIC_LOGIN_ERROR
        row = AuditLog.objects.get(action="login_failed", username="nobody")
        assert row.user is None

    def test_threshold_comes_from_settings(self, settings):
        settings.SANPI_LOCKOUT_THRESHOLD = 2
        UserFactory(username="zhang")
        _refusal("zhang", "wrong-Password1")
        _refusal("zhang", "wrong-Password1")
        assert User.objects.get(username="zhang").locked_until is not None


@pytest.mark.django_db(transaction=True)
def test_every_attempt_leaves_an_audit_row_that_survives_the_refusal():
    """Autocommit, as in production: each refusal's row is committed before it is raised."""
    user = UserFactory(username="zhang")
    for attempt in range(1, 7):
        _refusal("zhang", "wrong-Password1" if attempt <= 5 else TEST_PASSWORD)
        assert not connection.in_atomic_block
        assert len(_attempts(user)) == attempt
    assert _attempts(user) == ["login_failed"] * 4 + ["locked", "login_failed"]
    user.refresh_from_db()
    assert user.locked_until is not None


@pytest.mark.django_db(transaction=True)
def test_login_form_audits_refusals_with_the_client_address(client):
    user = UserFactory(username="zhang")
    response = client.post(
        "/accounts/login/",
        {"username": "zhang", "password": "wrong-Password1"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 401
    assert GENERIC_LOGIN_ERROR in response.content.decode()
    row = AuditLog.objects.get(action="login_failed", object_id=str(user.pk))
    assert (row.source, row.ip, row.username) == ("web", "10.1.2.3", "zhang")
    for _ in range(4):
        client.post("/accounts/login/", {"username": "zhang", "password": "wrong-Password1"})
    response = client.post("/accounts/login/", {"username": "zhang", "password": TEST_PASSWORD})
    assert response.status_code == 401
    assert GENERIC_LOGIN_ERROR in response.content.decode()
    assert AuditLog.objects.filter(action="login_failed", message="账号已锁定").exists()


@pytest.mark.django_db
class TestPasswordRules:
    @pytest.fixture
    def admin(self):
        return UserFactory(username="sysadmin", role="admin")

    def test_weak_password_refused_with_the_chinese_message(self, admin):
        with pytest.raises(ValidationFailed) as exc:
            user_create(by=admin, username="li", password="onlylowercase", role="leader")
        assert exc.value.message == "密码须包含大写字母、小写字母、数字、符号中的至少三类。"
        assert exc.value.fields == {"password": [exc.value.message]}
        assert not User.objects.filter(username="li").exists()

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("Ab1!xyz", "密码长度太短。密码必须包含至少 10 个字符。"),
            ("Password123", "这个密码太常见了。"),
            ("1234567890123", "密码只包含数字。"),
            ("Lvliang_li2026", "密码跟 用户名 太相似了。"),
        ],
    )
    def test_short_common_numeric_or_name_like_passwords_refused(self, admin, password, message):
        with pytest.raises(ValidationFailed) as exc:
            user_create(by=admin, username="lvliang_li", password=password, role="leader")
        assert message in exc.value.fields["password"]
        assert all(CJK.search(m) for m in exc.value.fields["password"])
        assert not User.objects.filter(username="lvliang_li").exists()

    def test_strong_password_accepted_and_audited(self, admin):
        user = user_create(by=admin, username="li", password="Lvliang#2026xm", role="leader")
        assert user.check_password("Lvliang#2026xm")
        assert user.password_changed_at is not None
        assert AuditLog.objects.filter(action="create", object_id=str(user.pk)).exists()

    @pytest.mark.parametrize("password", ["Password123!", "Admin@20242025", "Qwerty123456."])
    def test_a_common_word_with_digits_and_symbols_is_refused(self, admin, password):
        with pytest.raises(ValidationFailed) as exc:
            user_create(by=admin, username="li", password=password, role="leader")
        assert exc.value.fields["password"] == [
            "密码过于常见：常见单词或用户名加上数字、符号仍然容易被猜出，请换一个。"
        ]

    def test_the_current_and_last_five_passwords_are_not_reused(self, admin):
        user = UserFactory(username="li", role="leader")
        reused = "不能与当前密码或最近5次用过的密码相同。"
        with pytest.raises(ValidationFailed) as exc:
            user_set_password(by=user, user=user, password=TEST_PASSWORD)
        assert exc.value.fields["password"] == [reused]
        used = [f"Lvliang#{n}xm{n}" for n in range(1, 7)]
        for password in used:
            user_set_password(by=user, user=user, password=password)
        for password in used:  # the current one and the five before it
            with pytest.raises(ValidationFailed):
                user_set_password(by=user, user=user, password=password)
        # Six changes ago is forgotten: only the last five are kept.
        assert user.password_history.count() == 5
        user_set_password(by=admin, user=user, password=TEST_PASSWORD)

    def test_password_change_applies_the_rules(self, admin):
        user = UserFactory(username="li", role="leader")
        with pytest.raises(ValidationFailed, match="至少三类"):
            user_set_password(by=user, user=user, password="onlylowercase")
        user.refresh_from_db()
        assert user.check_password(TEST_PASSWORD)


@pytest.mark.django_db
def test_only_the_first_administrator_is_created_without_an_acting_user():
    from sanpi.accounts.services import user_create
    from sanpi.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        user_create(by=None, username="city1", password="Strong#Pass2026", role="city_office")
    admin = user_create(by=None, username="admin1", password="Strong#Pass2026", role="admin")
    with pytest.raises(PermissionDenied, match="须由系统管理员创建"):
        user_create(by=None, username="admin2", password="Strong#Pass2026", role="admin")
    assert user_create(
        by=admin, username="city1", password="Strong#Pass2026", role="city_office"
    ).pk


class CountingHasher(MD5PasswordHasher):
    """The suite's fast hasher, counting how often a password is hashed."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.mark.django_db
class TestNoAccountOracle:
    """Known, unknown, locked and disabled accounts answer alike: the same message and
    the same work (one password hash each), so neither words nor timing tell them apart.
    Work is counted, not timed."""

    @pytest.fixture(autouse=True)
    def _counting(self, settings):
        settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]

    def _hashes(self, username: str, password: str) -> tuple[str, int]:
        CountingHasher.calls = 0
        message = _refusal(username, password)
        return message, CountingHasher.calls

    def test_every_refusal_reads_and_costs_the_same(self):
        UserFactory(username="zhang")
        UserFactory(username="gone", is_active=False)
        UserFactory(username="locked", locked_until=timezone.now() + dt.timedelta(minutes=5))
        answers = {
            name: self._hashes(name, "wrong-Password1") for name in ("zhang", "nobody", "gone")
        }
        answers["locked"] = self._hashes("locked", TEST_PASSWORD)
        assert set(answers.values()) == {(GENERIC_LOGIN_ERROR, 1)}, answers


@pytest.mark.django_db
def test_one_address_trying_many_accounts_is_throttled(settings):
    settings.SANPI_LOGIN_IP_THRESHOLD = 3
    for name in ("a1", "a2", "a3", "a4"):
        UserFactory(username=name)
    for name in ("a1", "a2", "a3"):
        with pytest.raises(LoginRefused):
            login_check(username=name, password="wrong-Password1", ip="10.9.9.9")
    # The fourth account, right password, same address: refused without being tried.
    with pytest.raises(LoginRefused) as info:
        login_check(username="a4", password=TEST_PASSWORD, ip="10.9.9.9")
    assert info.value.message == GENERIC_LOGIN_ERROR
    assert AuditLog.objects.filter(message="来源地址登录失败次数过多，暂停受理").count() == 1
    # Another address is not affected, and no account got locked by the spree.
    assert login_check(username="a4", password=TEST_PASSWORD, ip="10.9.9.8").username == "a4"
    assert not User.objects.filter(locked_until__isnull=False).exists()


@pytest.mark.django_db
def test_wrong_current_passwords_when_changing_it_count_and_lock(client, settings):
    settings.SANPI_LOCKOUT_THRESHOLD = 3
    user = UserFactory(username="zhang")
    client.force_login(user)
    form = {"current_password": "guess-Password1", "new_password": "New-Passw0rd!x",
            "new_password2": "New-Passw0rd!x"}  # fmt: skip
    for _ in range(2):
        page = client.post("/accounts/me/password/", form)
        assert "当前密码不正确" in page.content.decode()
    response = client.post("/accounts/me/password/", form)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    user.refresh_from_db()
    assert user.locked_until is not None
    assert client.get("/accounts/me/").status_code == 302  # the session ended
    assert AuditLog.objects.filter(
        action="locked", message="连续修改密码时当前密码错误，账号锁定"
    ).exists()


@pytest.mark.django_db
class TestPasswordOwnership:
    """An administrator's password is temporary; passwords expire; each sign-in shows the
    last one and the failures since."""

    def _sign_in(self, client, username, password=TEST_PASSWORD):
        return client.post("/accounts/login/", {"username": username, "password": password})

    def test_an_account_created_by_the_administrator_must_change_its_password_first(self, client):
        admin = UserFactory(username="sysadmin", role="admin")
        user = user_create(by=admin, username="li", password="Lvliang#2026xm", role="leader")
        assert user.must_change_password
        assert self._sign_in(client, "li", "Lvliang#2026xm").status_code == 302
        response = client.get("/")
        assert response.status_code == 302 and response.url == "/accounts/me/#password"
        page = client.get("/accounts/me/").content.decode()
        assert "这是管理员为您设置的初始密码" in page
        changed = client.post(
            "/accounts/me/password/",
            {"current_password": "Lvliang#2026xm", "new_password": "Wode#Mima2026x",
             "new_password2": "Wode#Mima2026x"},
        )  # fmt: skip
        assert changed.status_code == 302
        user.refresh_from_db()
        assert not user.must_change_password
        assert client.get("/").status_code == 200

    def test_a_reset_by_the_administrator_is_temporary_again(self):
        admin = UserFactory(username="sysadmin", role="admin")
        user = UserFactory(username="li", role="leader")
        user_set_password(by=admin, user=user, password="Chongzhi#2026x")
        user.refresh_from_db()
        assert user.must_change_password
        user_set_password(by=user, user=user, password="Ziji#Mima2026y")
        user.refresh_from_db()
        assert not user.must_change_password

    def test_an_expired_password_must_be_changed(self, client, settings):
        user = UserFactory(username="li", role="leader")
        User.objects.filter(pk=user.pk).update(
            password_changed_at=timezone.now() - dt.timedelta(days=91)
        )
        self._sign_in(client, "li")
        response = client.get("/")
        assert response.status_code == 302
        assert "您的密码已使用超过90天" in client.get("/accounts/me/").content.decode()
        settings.SANPI_PASSWORD_MAX_AGE_DAYS = 0  # never expires
        assert client.get("/").status_code == 200

    def test_each_sign_in_shows_the_last_one_and_the_failures_since(self, client):
        UserFactory(username="li", role="leader")
        self._sign_in(client, "li")
        assert "这是您第一次登录" in client.get("/").content.decode()
        client.post("/accounts/logout/")
        for _ in range(2):
            self._sign_in(client, "li", "wrong-Password1")
        self._sign_in(client, "li")
        page = client.get("/").content.decode()
        assert "上次登录：" in page and "来自 127.0.0.1" in page
        assert "此后有 2 次失败的登录尝试" in page
