from __future__ import annotations

import factory

from sanpi.accounts.models import User

TEST_PASSWORD = "Ceshi#2026pass"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = "city_office"
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def totp_code(user, *, at: float | None = None) -> str:
    """The code the user's authenticator shows now, enrolling one first (confirmed) when
    the user has none: what a test signs in with where two-factor is required. Replay
    protection (a code is accepted once) is cleared so a test may sign in again within
    the same 30 seconds."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="测试验证器", confirmed=True)
    if device.last_t != -1:
        device.last_t = -1
        device.save(update_fields=["last_t"])
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():0{device.digits}d}"


def needs_second_factor(user) -> bool:
    from sanpi.accounts import two_factor

    return two_factor.required_for(user) or two_factor.enrolled(user)
