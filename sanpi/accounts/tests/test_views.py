"""Account pages: sign-in, my account (password, API tokens), user management."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from sanpi.accounts.models import ApiToken, User
from sanpi.accounts.services import api_token_user
from sanpi.accounts.tests.factories import TEST_PASSWORD
from sanpi.core.models import AuditLog
from sanpi.regions.tests.factories import make_credit_code

NEW_PASSWORD = "Xin#Mima2026"


def test_login_and_logout_still_work(world, client):
    response = client.post(
        reverse("accounts:login") + "?next=/projects/",
        {"username": "county_a", "password": TEST_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/projects/"
    assert client.get("/projects/").status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get("/projects/").status_code == 302
    response = client.post(reverse("accounts:login"), {"username": "county_a", "password": "x"})
    assert response.status_code == 401 and "用户名或密码错误" in response.content.decode()


def test_change_password(world, login):
    user = world.user("county")
    client = login(user)
    url = reverse("accounts:change_password")
    response = client.post(
        url,
        {"current_password": "wrong", "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert "当前密码不正确" in response.content.decode()
    response = client.post(
        url,
        {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "new_password2": "x"},
    )
    assert "两次输入的新密码不一致" in response.content.decode()
    response = client.post(
        url,
        {
            "current_password": TEST_PASSWORD,
            "new_password": "abcdefghij",
            "new_password2": "abcdefghij",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "至少三类" in html
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    assert not AuditLog.objects.filter(action="security").exists()

    response = client.post(
        url,
        {
            "current_password": TEST_PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditLog.objects.filter(action="security", object_id=str(user.pk)).exists()
    assert client.get(reverse("accounts:me")).status_code == 200  # still signed in


def test_api_token_key_is_shown_once(world, login):
    user = world.user("zone")
    client = login(user)
    response = client.post(reverse("accounts:create_token"), {"name": "台账同步", "days": "30"})
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    start = html.index('id="new-token-key">') + len('id="new-token-key">')
    key = html[start : html.index("</code>", start)]
    assert key.startswith("sp_") and api_token_user(key) == user
    token = ApiToken.objects.get(user=user)
    assert token.name == "台账同步"
    assert token.expires_at - timezone.now() < dt.timedelta(days=30, minutes=1)
    assert AuditLog.objects.filter(action="security", object_type="accounts.apitoken").exists()
    html = client.get(reverse("accounts:me")).content.decode()
    assert key not in html and "台账同步" in html and token.prefix in html
    response = client.post(reverse("accounts:create_token"), {"name": "", "days": "7"})
    assert "这个字段是必填项" in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_user_management_is_for_the_system_administrator_only(world, login):
    for role in ("city_office", "auditor", "county"):
        client = login(world.user(role))
        assert client.get(reverse("accounts:user_list")).status_code == 403
        response = client.post(
            reverse("accounts:user_create"),
            {
                "username": "x",
                "role": "leader",
                "password": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
        assert response.status_code == 403
    assert not User.objects.filter(username="x").exists()


def test_create_users_with_their_units(world, login):
    admin = world.user("admin")
    client = login(admin)
    url = reverse("accounts:user_create")
    base = {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    response = client.post(
        url, {**base, "username": "wenshui", "role": "county", "county": world.county_b.pk}
    )
    assert response.status_code == 302
    user = User.objects.get(username="wenshui")
    assert (user.county, user.zone) == (world.county_b, None)
    row = AuditLog.objects.get(action="create", object_id=str(user.pk))
    assert row.user == admin and row.after["county"] == world.county_b.pk

    # Units of other roles are ignored; the zone account gets only its zone.
    response = client.post(
        url,
        {
            **base,
            "username": "kfq",
            "role": "zone",
            "zone": world.zone_a.pk,
            "county": world.county_a.pk,
        },
    )
    assert response.status_code == 302
    assert (User.objects.get(username="kfq").zone, User.objects.get(username="kfq").county) == (
        world.zone_a,
        None,
    )
    response = client.post(
        url,
        {
            **base,
            "username": "qiye",
            "role": "enterprise",
            "enterprise_code": world.enterprise_a.credit_code.lower(),
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="qiye").enterprise == world.enterprise_a


def test_create_user_bad_input_shows_chinese_errors(world, login):
    client = login(world.user("admin"))
    url = reverse("accounts:user_create")
    base = {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    count = User.objects.count()
    html = client.post(url, {**base, "username": "a1", "role": "county"}).content.decode()
    assert "角色与所属单位不一致" in html
    html = client.post(
        url,
        {**base, "username": "a2", "role": "enterprise", "enterprise_code": make_credit_code(999)},
    ).content.decode()
    assert "没有统一社会信用代码为此的企业" in html
    html = client.post(
        url, {"username": "a3", "role": "leader", "password": "short", "password2": "short"}
    ).content.decode()
    assert "密码长度太短" in html
    html = client.post(url, {**base, "username": "city", "role": "leader"}).content.decode()
    assert "已存在" in html
    assert User.objects.count() == count


def test_unlock(world, login):
    locked = world.user("leader")
    locked.locked_until = timezone.now() + dt.timedelta(minutes=20)
    locked.failed_logins = 0
    locked.save()
    client = login(world.user("admin"))
    html = client.get(reverse("accounts:user_list")).content.decode()
    assert "锁定至" in html and "解除锁定" in html
    response = client.post(reverse("accounts:user_unlock", kwargs={"pk": locked.pk}))
    assert response.status_code == 302
    locked.refresh_from_db()
    assert locked.locked_until is None
    assert AuditLog.objects.filter(action="security", message="解除锁定").exists()
    response = login(world.user("city_office")).post(
        reverse("accounts:user_unlock", kwargs={"pk": locked.pk})
    )
    assert response.status_code == 403


def test_admin_disables_and_enables_an_account_and_its_tokens_stop_working(world, login):
    from sanpi.accounts.services import api_token_create, api_token_user
    from sanpi.core.models import AuditLog

    target = world.user("county")
    _, key = api_token_create(by=target, name="接口")
    client = login(world.user("admin"))
    response = client.post(reverse("accounts:user_set_active", args=[target.pk]), {"active": "0"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert api_token_user(key) is None
    assert AuditLog.objects.filter(
        object_id=str(target.pk), message__startswith="停用账号"
    ).exists()
    # A disabled account cannot sign in.
    from django.test import Client

    from sanpi.accounts.tests.factories import TEST_PASSWORD

    refused = Client().post(
        "/accounts/login/", {"username": target.username, "password": TEST_PASSWORD}
    )
    assert refused.status_code == 401
    client.post(reverse("accounts:user_set_active", args=[target.pk]), {"active": "1"})
    target.refresh_from_db()
    assert target.is_active
    assert api_token_user(key) is None  # revoked tokens stay revoked


def test_admin_cannot_disable_own_account_and_others_cannot_disable_anyone(world, login):
    admin = world.user("admin")
    client = login(admin)
    response = client.post(
        reverse("accounts:user_set_active", args=[admin.pk]), {"active": "0"}, follow=True
    )
    assert "不能停用自己的账号" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active
    for role in ("city_office", "county", "leader", "auditor"):
        c = login(world.user(role))
        assert (
            c.post(
                reverse("accounts:user_set_active", args=[world.user("zone").pk]), {"active": "0"}
            ).status_code
            == 403
        )
    assert world.user("zone").__class__.objects.get(pk=world.user("zone").pk).is_active


def test_revoke_own_token_only(world, login):
    from sanpi.accounts.services import api_token_create, api_token_user

    token, key = api_token_create(by=world.user("county"), name="我的")
    other, other_key = api_token_create(by=world.user("zone"), name="别人的")
    client = login(world.user("county"))
    assert client.post(reverse("accounts:revoke_token", args=[other.pk])).status_code == 404
    assert api_token_user(other_key) is not None
    assert client.post(reverse("accounts:revoke_token", args=[token.pk])).status_code == 302
    assert api_token_user(key) is None


# --- 所属部门 belongs to 部门 accounts only -------------------------------------------------


def test_service_refuses_a_department_on_any_role_but_department(world):
    """Bad input → what it gets: a department on a county, zone, leader or agent account →
    ValidationFailed on the `department` field ("角色与所属单位不一致：…账号不能选择所属部门…");
    a 部门 account without one → "…部门账号须选择所属部门". Nothing is created either way."""
    import pytest

    from sanpi.accounts.services import user_create
    from sanpi.core.errors import ValidationFailed

    admin = world.user("admin")
    count = User.objects.count()
    cases = [
        ("county", {"county": world.county_a}, "县(市、区)账号不能选择所属部门"),
        ("zone", {"zone": world.zone_a}, "开发区账号不能选择所属部门"),
        ("leader", {}, "领导账号不能选择所属部门"),
        ("agent", {}, "代办员账号不能选择所属部门"),
    ]
    for n, (role, unit, message) in enumerate(cases):
        with pytest.raises(ValidationFailed) as refused:
            user_create(
                by=admin, username=f"d{n}", password=NEW_PASSWORD, role=role,
                department=world.department_a, **unit,
            )  # fmt: skip
        assert list(refused.value.fields) == ["department"]
        assert message in refused.value.fields["department"][0]
    with pytest.raises(ValidationFailed) as refused:
        user_create(by=admin, username="d9", password=NEW_PASSWORD, role="department")
    assert refused.value.fields == {"department": ["角色与所属单位不一致：部门账号须选择所属部门"]}
    assert User.objects.count() == count
    user = user_create(
        by=admin, username="dept2", password=NEW_PASSWORD, role="department",
        department=world.department_a,
    )  # fmt: skip
    assert user.department == world.department_a


def test_new_account_page_refuses_a_department_on_a_county_account(world, login):
    """A county account posted with a department (the page hides the field, a crafted or
    stale post doesn't) → 200, the form again with the message under 所属部门, no account."""
    client = login(world.user("admin"))
    url = reverse("accounts:user_create")
    response = client.post(
        url,
        {
            "username": "wenshui2",
            "role": "county",
            "county": world.county_a.pk,
            "department": world.department_a.pk,
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    field = html[html.index('id="id_department"') :]
    field = field[: field.index('<div class="col">')]
    assert "县(市、区)账号不能选择所属部门" in field  # next to the field, not at the top
    assert not User.objects.filter(username="wenshui2").exists()

    response = client.post(
        url,
        {
            "username": "shenpi",
            "role": "department",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert "部门账号须选择所属部门" in response.content.decode()
    response = client.post(
        url,
        {
            "username": "shenpi",
            "role": "department",
            "department": world.department_a.pk,
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="shenpi").department == world.department_a


def test_new_account_page_makes_a_bank_officer_and_refuses_a_bank_on_other_roles(world, login):
    """A 银行 account needs its bank (→ the form again, the message under 所属银行); a bank on
    a county account is refused the same way; with its bank → 302, bound to that bank."""
    from sanpi.finance.models import Bank

    bank = Bank.objects.get(name="走查银行")
    client = login(world.user("admin"))
    url = reverse("accounts:user_create")
    base = {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    html = client.post(url, {**base, "username": "yh1", "role": "bank"}).content.decode()
    field = html[html.index('id="id_bank"') :]
    assert "银行账号须选择所属银行" in field[: field.index('<div class="col">')]
    html = client.post(url, {**base, "username": "yh1", "role": "county",
                             "county": world.county_a.pk, "bank": bank.pk}).content.decode()  # fmt: skip
    assert "县(市、区)账号不能选择所属银行" in html
    assert not User.objects.filter(username="yh1").exists()
    response = client.post(url, {**base, "username": "yh1", "role": "bank", "bank": bank.pk})
    assert response.status_code == 302
    assert User.objects.get(username="yh1").bank == bank


# --- the address notifications are mailed to ---------------------------------------------


def test_a_user_sets_their_own_email_audited(world, login):
    from sanpi.core.models import AuditLog

    user = world.user("county")
    client = login(user)
    assert 'id="email"' in client.get("/accounts/me/").content.decode()
    response = client.post("/accounts/me/email/", {"email": " lishi@lvliang.gov.cn "})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "lishi@lvliang.gov.cn"
    row = AuditLog.objects.get(message="设置接收通知的邮箱")
    assert (row.before, row.after) == ({"email": ""}, {"email": "lishi@lvliang.gov.cn"})
    # The same again: nothing to record. Empty: no mail.
    client.post("/accounts/me/email/", {"email": "lishi@lvliang.gov.cn"})
    assert AuditLog.objects.filter(message="设置接收通知的邮箱").count() == 1
    client.post("/accounts/me/email/", {"email": ""})
    user.refresh_from_db()
    assert user.email == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lishi", "邮箱地址格式不正确，例如 name@lvliang.gov.cn"),
        ("a@b", "邮箱地址格式不正确，例如 name@lvliang.gov.cn"),
        ("x" * 300, "确保该变量包含不超过 254 字符"),
    ],
)
def test_a_bad_email_is_refused_with_the_reason(world, login, value, message):
    user = world.user("county")
    page = login(user).post("/accounts/me/email/", {"email": value})
    assert page.status_code == 200
    assert message in page.content.decode()
    user.refresh_from_db()
    assert user.email == ""
