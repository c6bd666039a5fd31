"""Account forms: parsing and widgets only (password rules live in the services)."""

from __future__ import annotations

from django import forms

from sanpi.core.web import BootstrapFormMixin, trim_overlong

from .models import User


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput)

    def full_clean(self):
        super().full_clean()
        trim_overlong(self)  # a too-long username is refused, not echoed back whole


class PasswordChangeForm(BootstrapFormMixin, forms.Form):
    current_password = forms.CharField(
        label="当前密码", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label="新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password2 = forms.CharField(
        label="再次输入新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.locked = False
        self.fields[
            "new_password"
        ].help_text = "至少10位，包含大写字母、小写字母、数字、符号中的至少三类"

    def clean_current_password(self):
        from .services import password_failed

        value = self.cleaned_data["current_password"]
        if not self.user.check_password(value):
            # Counted as a failed sign-in: guessing through this form locks the account too.
            self.locked = password_failed(self.user, what="修改密码时当前密码错误")
            raise forms.ValidationError("当前密码不正确")
        return value

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


class EmailForm(BootstrapFormMixin, forms.Form):
    # Checked by the service (accounts.services.user_set_email), which says why in Chinese.
    email = forms.CharField(
        label="邮箱", max_length=254, required=False, help_text="留空则不发送邮件通知"
    )


class TokenForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label="令牌名称", max_length=50, initial="接口令牌")
    days = forms.TypedChoiceField(
        label="有效期",
        coerce=int,
        initial=90,
        choices=[(30, "30天"), (90, "90天"), (180, "180天"), (365, "365天")],
    )


class UserCreateForm(BootstrapFormMixin, forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    full_name = forms.CharField(label="姓名", max_length=50, required=False)
    role = forms.ChoiceField(label="角色", choices=User.ROLE_CHOICES)
    county = forms.ModelChoiceField(
        label="所属县(市、区)", queryset=None, required=False, empty_label="（县级账号必选）"
    )
    zone = forms.ModelChoiceField(
        label="所属开发区", queryset=None, required=False, empty_label="（开发区账号必选）"
    )
    department = forms.ModelChoiceField(
        label="所属部门", queryset=None, required=False, empty_label="（部门账号必选）"
    )
    bank = forms.ModelChoiceField(
        label="所属银行", queryset=None, required=False, empty_label="（银行账号必选）"
    )
    enterprise_code = forms.CharField(
        label="所属企业统一社会信用代码",
        max_length=18,
        required=False,
        help_text="企业账号必填：企业的18位统一社会信用代码",
    )
    password = forms.CharField(
        label="初始密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="再次输入初始密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, counties, zones, departments=None, banks=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties
        self.fields["zone"].queryset = zones
        self.fields["department"].queryset = departments
        self.fields["bank"].queryset = banks
        self.fields[
            "password"
        ].help_text = "至少10位，包含大写字母、小写字母、数字、符号中的至少三类"

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致")
        return data
