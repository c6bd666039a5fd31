"""The 34 indicators of 专栏 1-2 “十四五”吕梁市转型出雏型主要指标, as the seed states them.

Source: the city's 14th five-year plan (seeds/003, 专栏 1-2, one table printed over two
pages; the second page's text came out of the PDF with spaces inside words, “完成省 下达目
标任务”, and half-width brackets). Each row keeps the seed's texts (`*_text`: what the
page shows) and, where the text is a number, that number (exact, as a string here).
The texts are the seed's with the PDF's whitespace removed and half-width brackets made
full-width like the first page's; nothing else is changed (tests/test_seed.py compares
them with the seed file itself when it is there).

`direction` and `path` are this module's reading of each indicator's meaning (the seed
says neither); `rules.PathKind` says what each path means. The reasons:

* 年均增长 of a share (unit %) is in percentage points: 54.7 + 5 × 1.06 = 60 (城镇化率),
  29.6 + 5 × 1.08 = 35 (森林覆盖率), 30 + 5 × 6 = 60 (从业人员持证率), 93 + 5 × 1 = 98
  (养老保险参保率), exactly the targets: path ``points``. 地区生产总值's >8 is a growth
  rate of a quantity (亿元): ``compound``, the lower bound 8 taken as the rate.
* An indicator that is itself a yearly rate (…增长, …增速, with only 年均增长 given) is
  ``annual``: each year's rate is compared with the annual rate.
* 城镇调查失业率 <5.5 (控制在5.5%以下) is a ceiling for every year, 粮食综合生产能力 100
  (below its 2020 value of 101) a floor to hold (约束性): ``bound``.
* 工业增加值占GDP比重 is to fall from 57.6 to 55 (the economy turning from heavy
  industry to services): ``down``. 城镇调查失业率 too. Every other indicator is better
  higher, including 单位GDP能源消耗降低 and 单位GDP二氧化碳排放降低: they are the
  *reductions* (a larger fall of energy use per unit of GDP is better), not the intensity.
* Targets that are words (完成省下达目标任务, 力争达到全省平均水平), a composite
  (重点实验室/技术创新中心/工程研究中心) or missing: ``none``, nothing computed.
  省实验室 1 个 is the number 1; 50 以上 is 50; >25 is 25; <5.5 is 5.5.

Pure data (no Django): the migration 0002_seed loads it, and `load` lets tests put it
back after a transactional test has emptied the tables.
"""

from __future__ import annotations

from decimal import Decimal

GROUPS = (
    "经济发展",
    "创新驱动",
    "“六新”突破与产业升级",
    "绿色生态",
    "人的全面发展",
    "安全保障",
)
P_TASK = "完成省下达目标任务"  # the province's targets: words, not numbers


def _row(
    order, group, name, unit, baseline, target, growth, attribute, *,
    direction="up", path="linear", baseline_text=None, target_text=None, growth_text=None,
):  # fmt: skip
    """One indicator; a text defaults to the number it states (— for none)."""
    return {
        "order": order,
        "group": GROUPS[group - 1],
        "name": name,
        "unit": unit,
        "baseline_2020": baseline,
        "baseline_text": baseline_text or baseline or "—",
        "target_2025": target,
        "target_text": target_text or target or "—",
        "annual_growth": growth,
        "annual_growth_text": growth_text or growth or "—",
        "attribute": {"预期性": "expected", "约束性": "binding"}[attribute],
        "direction": direction,
        "path_kind": path,
    }


INDICATORS: tuple[dict, ...] = (
    # 一、经济发展（6个）
    _row(1, 1, "地区生产总值（GDP）", "亿元", "1538", "2238", "8", "预期性",
         path="compound", growth_text=">8"),
    _row(2, 1, "常住人口城镇化率", "%", "54.7", "60", "1.06", "预期性", path="points"),
    _row(3, 1, "规上工业企业数量", "户", "588", "1100", None, "预期性"),
    _row(4, 1, "工业增加值占GDP比重", "%", "57.6", "55", None, "预期性", direction="down"),
    _row(5, 1, "战略性新兴产业增加值占GDP比重", "%", "1.3", None, None, "预期性",
         path="none", target_text="力争达到全省平均水平"),
    _row(6, 1, "全员劳动生产率增长", "%", None, None, "9", "预期性", path="annual"),
    # 二、创新驱动（4个）
    _row(7, 2, "研发经费投入增长", "%", "1.1", None, "15", "预期性", path="annual"),
    _row(8, 2, "国家实验室/省实验室", "个", "0", "1", None, "预期性",
         target_text="省实验室1个"),
    _row(9, 2, "重点实验室（国家级/省级）/技术创新中心（国家级/省级）/工程研究中心（国家级/省级）",
         "个", None, None, None, "预期性", path="none",
         baseline_text="省级重点实验室1个/技术创新中心0个/工程研究中心0个",
         target_text="省级重点实验室2-3个/省级技术创新中心1个/省级工程研究中心5-6个"),
    _row(10, 2, "高技术制造业增加值增速", "%", "12.55", None, "18", "预期性", path="annual"),
    # 三、“六新”突破与产业升级（7个）
    _row(11, 3, "5G网络用户普及率", "%", "27", "80", None, "预期性"),
    _row(12, 3, "每万人口高价值发明专利拥有量", "件", "0.66", "1.5", None, "预期性"),
    _row(13, 3, "新材料生产企业主营业务收入增速", "%", None, None, "13", "预期性",
         path="annual"),
    _row(14, 3, "高端装备制造业增加值增速", "%", "5", None, "10", "预期性", path="annual"),
    _row(15, 3, "新产品开发项目数量年均增速", "%", None, None, "12", "预期性",
         path="annual"),
    _row(16, 3, "数字经济核心产业增加值占GDP比重", "%", None, "4.5", None, "预期性"),
    _row(17, 3, "制造业增加值占规上工业增加值比重", "%", "34.15", "50", None, "预期性"),
    # 四、绿色生态（5个）
    _row(18, 4, "空气质量优良天数比例", "%", "82.8", "85", None, "约束性",
         growth_text=P_TASK),
    _row(19, 4, "地表水达到或好于Ⅲ类水体比例", "%", "36.4", "50", None, "约束性",
         target_text="50以上", growth_text=P_TASK),
    _row(20, 4, "森林覆盖率", "%", "29.6", "35", "1.08", "约束性", path="points"),
    _row(21, 4, "单位GDP能源消耗降低", "%", "4.27", None, None, "约束性", path="none",
         target_text=P_TASK, growth_text=P_TASK),
    _row(22, 4, "单位GDP二氧化碳排放降低", "%", None, None, None, "约束性", path="none",
         target_text=P_TASK, growth_text=P_TASK),
    # 五、人的全面发展（10个）
    _row(23, 5, "从业人员持证率", "%", "30", "60", "6", "预期性", path="points"),
    _row(24, 5, "全社会劳动力持证率", "%", None, "25", None, "预期性", target_text=">25"),
    _row(25, 5, "居民人均可支配收入增长率", "%", "5.5", None, "9.5", "预期性",
         path="annual"),
    _row(26, 5, "城镇调查失业率", "%", None, "5.5", None, "预期性", direction="down",
         path="bound", target_text="<5.5"),
    _row(27, 5, "劳动年龄人口平均受教育年限", "年", "11", "13", None, "约束性"),
    _row(28, 5, "每千人口拥有执业（助理）医师数", "人", "2.51", "3", None, "预期性"),
    _row(29, 5, "基本养老保险参保率", "%", "93", "98", "1", "预期性", path="points"),
    _row(30, 5, "每千人口拥有3岁以下婴幼儿托位数", "个", None, "2.5", None, "预期性"),
    _row(31, 5, "人均预期寿命", "岁", "77.1", "78.1", None, "预期性"),
    _row(32, 5, "体育人口占比", "%", "32", "40", None, "预期性"),
    # 六、安全保障（2个）
    _row(33, 6, "粮食综合生产能力", "万吨", "101", "100", None, "约束性", path="bound"),
    _row(34, 6, "能源综合生产能力", "亿吨标准煤", "0.95", None, None, "约束性",
         path="none"),
)  # fmt: skip

NUMBER_FIELDS = ("baseline_2020", "target_2025", "annual_growth")


def rows() -> list[dict]:
    """The indicators with their numbers as Decimals."""
    out = []
    for row in INDICATORS:
        row = dict(row)
        for key in NUMBER_FIELDS:
            if row[key] is not None:
                row[key] = Decimal(row[key])
        out.append(row)
    return out


def load(model) -> int:
    """Put the seed into `model` (the Indicator model, or the migration's historical one):
    each indicator by its 序号, created or brought back to the seed. Returns the count."""
    for row in rows():
        order = row.pop("order")
        model.objects.update_or_create(order=order, defaults=row)
    return len(INDICATORS)
