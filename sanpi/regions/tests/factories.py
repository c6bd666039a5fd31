from __future__ import annotations

import factory

from sanpi.regions.models import County, DevelopmentZone, Enterprise
from sanpi.regions.rules import credit_code_check_char

ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_credit_code(n: int, county_code: str = "141100") -> str:
    """A valid 统一社会信用代码 (GB 32100-2015 check character), distinct for each n."""
    body = ""
    m = n
    for _ in range(9):
        body = ORG_CHARS[m % 31] + body
        m //= 31
    first17 = "91" + county_code + body
    return first17 + credit_code_check_char(first17)


def county(code: str = "141102") -> County:
    return County.objects.get(code=code)


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DevelopmentZone

    name = factory.Sequence(lambda n: f"测试经济开发区{n}")
    level = DevelopmentZone.Level.PROVINCIAL
    county = factory.LazyFunction(lambda: County.objects.get(code="141102"))


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    credit_code = factory.Sequence(lambda n: make_credit_code(n + 1000))
    county = factory.LazyFunction(lambda: County.objects.get(code="141102"))
