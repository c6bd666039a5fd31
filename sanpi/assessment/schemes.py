"""The schemes sanpi starts with, as data (pure: no Django). A year's scheme is a copy of
one of these that the city office may then change (assessment.models).

* ``mujun``: 亩均效益 of enterprises (建立“亩均效益”综合评价机制): 亩均税收 40, 亩均营业收入
  20, 单位能耗工业增加值 20, 研发经费占比 10, 全员劳动生产率 10, each relative to the best
  in the same industry group; classes A 20%, B 50%, C 20%, D 10% of places.
* ``zone``: the development zones' annual assessment on sanpi's own figures.
* ``bank``: 《吕梁市银行业金融机构支持地方经济发展考核评价办法（试行）》 (吕政办发〔2021〕46号,
  `../shared/seeds/003…`), exactly as it states it: 增量 40, 扩面 20, 提质 30, 降本 10, every
  indicator relative to the best of the banks assessed; bonus up to 10; one-vote veto.
"""

from __future__ import annotations

from decimal import Decimal as D

from .engine import Band, Consequence, Derived, Indicator, Input, Kind, Method, Scheme

PBOC, CBIRC, FIN = "人行吕梁市中心支行", "吕梁银保监分局", "市金融办"


def _best(key: str, name: str, group: str, points: int, value: str = "") -> Indicator:
    return Indicator(key, name, group, D(points), Method.BEST, value or key)


BANK = Scheme(
    key="bank",
    name="银行业金融机构支持地方经济发展考核评价",
    inputs=(
        Input("loans_last", "上年末贷款余额(万元)", Kind.AMOUNT, PBOC),
        Input("loans_now", "本年末贷款余额(万元)", Kind.AMOUNT, PBOC),
        Input("written_off", "本年转让核销不良贷款(万元)", Kind.AMOUNT, PBOC),
        Input("deposits_new", "本年新增存款(万元)", Kind.AMOUNT, PBOC),
        Input("first_loans", "首贷户户数", Kind.COUNT, PBOC),
        Input("applicants", "申请贷款客户数", Kind.COUNT, PBOC),
        Input("borrowers", "发放贷款客户数", Kind.COUNT, PBOC),
        Input("signed_projects", "政银企签约项目户数", Kind.COUNT, FIN),
        Input("credited_projects", "授信项目户数", Kind.COUNT, FIN),
        Input("credit_n", "信用贷款户数增量", Kind.COUNT, PBOC),
        Input("credit_amount", "信用贷款增量(万元)", Kind.AMOUNT, PBOC),
        Input("small_n", "小微企业贷款户数增量", Kind.COUNT, CBIRC),
        Input("small_amount", "小微企业贷款增量(万元)", Kind.AMOUNT, CBIRC),
        Input("key_n", "省市重点项目贷款户数增量", Kind.COUNT, CBIRC),
        Input("key_amount", "省市重点项目贷款增量(万元)", Kind.AMOUNT, CBIRC),
        Input("rate_last", "上年贷款平均利率(%)", Kind.PERCENT, PBOC),
        Input("rate_now", "本年贷款平均利率(%)", Kind.PERCENT, PBOC),
        Input("attract", "银企招商(是/否)", Kind.YESNO, FIN),
        Input("deploy", "落实工作部署(0-3)", Kind.POINTS, FIN, maximum=D(3)),
        Input("innovate", "金融创新(是/否)", Kind.YESNO, FIN),
        Input("veto", "一票否决(原因)", Kind.TEXT, FIN),
    ),
    derived=(
        # Transferred and written-off bad loans count as new loans (the seed's words).
        Derived("loan_increase", "贷款增量(万元)", "loans_now - loans_last + written_off"),
        Derived("loan_growth", "贷款增速", "loan_increase / loans_last"),
        Derived("deposit_ratio", "增量存贷比", "loan_increase / deposits_new"),
        Derived("approval_rate", "贷款获得率", "borrowers / applicants"),
        Derived("fulfil_rate", "政银企签约项目履约率", "credited_projects / signed_projects"),
        Derived("rate_cut", "贷款利率降幅(百分点)", "rate_last - rate_now"),
    ),
    indicators=(
        _best("loan_increase", "贷款增量", "增量", 20),
        _best("loan_growth", "贷款增速", "增量", 10),
        _best("deposit_ratio", "存贷比", "增量", 10),
        _best("first_loans", "企业贷款首贷户", "扩面", 10),
        _best("approval_rate", "企业贷款获得率", "扩面", 5),
        _best("fulfil_rate", "政银企签约项目履约率", "扩面", 5),
        _best("credit_n", "信用贷款户数增量", "提质", 5),
        _best("credit_amount", "信用贷款增量", "提质", 5),
        _best("small_n", "小微企业贷款户数增量", "提质", 5),
        _best("small_amount", "小微企业贷款增量", "提质", 5),
        _best("key_n", "省市重点项目贷款户数增量", "提质", 5),
        _best("key_amount", "省市重点项目贷款增量", "提质", 5),
        _best("rate_cut", "贷款利率降幅", "降本", 10),
        Indicator(
            "attract",
            "银企招商",
            "加分",
            D(5),
            Method.BANDS,
            "attract",
            bonus=True,
            bands=(Band(D(1), D(5)),),
        ),
        Indicator("deploy", "落实工作部署情况", "加分", D(3), Method.ENTERED, "deploy", bonus=True),
        Indicator(
            "innovate",
            "金融创新",
            "加分",
            D(2),
            Method.BANDS,
            "innovate",
            bonus=True,
            bands=(Band(D(1), D(2)),),
        ),
    ),  # fmt: skip
    veto="veto",
    bonus_max=D(10),
    unit_label="机构名称",
    consequences=(
        Consequence("top", 5, "支持地方经济发展先进单位"),
        Consequence("bottom_running", 3, "连续两年考核后三位：由金融监管部门约谈"),
    ),
)

# 亩均效益: enterprises per year, each indicator relative to the best of its own industry
# group (传统产业 and the others apart); classes by share of places.
MUJUN = Scheme(
    key="mujun",
    name="工业企业“亩均效益”综合评价",
    inputs=(
        Input("land", "用地面积(亩)", Kind.NUMBER),
        Input("tax", "实缴税金(万元)", Kind.AMOUNT),
        Input("revenue", "营业收入(万元)", Kind.AMOUNT),
        Input("value_added", "工业增加值(万元)", Kind.AMOUNT),
        Input("energy", "综合能耗(吨标准煤)", Kind.NUMBER),
        Input("rnd", "研发经费支出(万元)", Kind.AMOUNT),
        Input("employees", "年平均职工人数", Kind.COUNT),
    ),
    derived=(
        Derived("tax_per_mu", "亩均税收(万元/亩)", "tax / land"),
        Derived("revenue_per_mu", "亩均营业收入(万元/亩)", "revenue / land"),
        Derived("va_per_energy", "单位能耗工业增加值(万元/吨标准煤)", "value_added / energy"),
        Derived("rnd_share", "研发经费占营业收入比重", "rnd / revenue"),
        Derived("productivity", "全员劳动生产率(万元/人)", "value_added / employees"),
    ),
    indicators=(
        _best("tax_per_mu", "亩均税收", "亩均效益", 40),
        _best("revenue_per_mu", "亩均营业收入", "亩均效益", 20),
        _best("va_per_energy", "单位能耗工业增加值", "绿色发展", 20),
        _best("rnd_share", "研发经费占比", "创新驱动", 10),
        _best("productivity", "全员劳动生产率", "劳动效率", 10),
    ),
    peer_group=True,
    unit_label="企业名称",
    classes=(
        ("A类（优先发展）", D("0.2")),
        ("B类（鼓励提升）", D("0.5")),
        ("C类（倒逼转型）", D("0.2")),
        ("D类（整治淘汰）", D("0.1")),
    ),
)
GROUPS = ("传统产业", "其他产业")  # the 亩均 peer groups (the industry group of sanpi's projects)

# The development zones' annual assessment (完善开发区考核办法), on figures sanpi already has
# (every input computed from the ledger: `sources.zone_inputs`): the dispatch indicators
# against the year's targets (completion capped at 120%, as the monthly ranking), the three
# rates, the problems closed on time, approvals decided on time, and the 亩均 score of the
# zone's enterprises, each relative to the best zone. The default points are sanpi's
# choice (docs/architecture.md); the city office changes them per year.
ZONE_SOURCE = "系统计算"


def _against(key: str, name: str, points: int) -> Indicator:
    return Indicator(key, name, "目标完成", D(points), Method.TARGET, key, target=f"{key}_target",
                     cap=D("1.2"))  # fmt: skip


ZONE = Scheme(
    key="zone",
    name="开发区年度考核",
    inputs=(
        *(
            item
            for key, name, kind in (
                ("investment", "固定资产投资(万元)", Kind.AMOUNT),
                ("signed", "签约项目(个)", Kind.COUNT),
                ("started", "开工项目(个)", Kind.COUNT),
                ("produced", "投产项目(个)", Kind.COUNT),
                ("reserve", "储备项目总投资(万元)", Kind.AMOUNT),
                ("above_size", "新增上规企业(家)", Kind.COUNT),
            )
            for item in (
                Input(key, f"{name}完成", kind, ZONE_SOURCE),
                Input(f"{key}_target", f"{name}目标", kind, ZONE_SOURCE),
            )
        ),
        Input("signed_cohort", "本年签约项目数", Kind.COUNT, ZONE_SOURCE),
        Input("signed_cohort_started", "其中已开工", Kind.COUNT, ZONE_SOURCE),
        Input("started_cohort", "本年开工项目数", Kind.COUNT, ZONE_SOURCE),
        Input("started_cohort_produced", "其中已投产", Kind.COUNT, ZONE_SOURCE),
        Input("output_planned", "本年投产项目预计年产值(万元)", Kind.AMOUNT, ZONE_SOURCE),
        Input("output_actual", "本年投产项目实际年产值(万元)", Kind.AMOUNT, ZONE_SOURCE),
        Input("problems_closed", "销号问题数", Kind.COUNT, ZONE_SOURCE),
        Input("problems_on_time", "其中按时办结", Kind.COUNT, ZONE_SOURCE),
        Input("approvals_decided", "办结审批事项数", Kind.COUNT, ZONE_SOURCE),
        Input("approvals_on_time", "其中承诺时限内办结", Kind.COUNT, ZONE_SOURCE),
        Input("mujun", "企业亩均效益平均得分", Kind.NUMBER, ZONE_SOURCE),
    ),
    derived=(
        Derived("start_rate", "开工率", "signed_cohort_started / signed_cohort"),
        Derived("production_rate", "投产率", "started_cohort_produced / started_cohort"),
        Derived("target_rate", "达效率", "output_actual / output_planned"),
        Derived("problem_rate", "问题按时办结率", "problems_on_time / problems_closed"),
        Derived("approval_rate", "审批按时办结率", "approvals_on_time / approvals_decided"),
    ),
    indicators=(
        _against("investment", "固定资产投资", 20),
        _against("signed", "签约项目", 10),
        _against("started", "开工项目", 10),
        _against("produced", "投产项目", 10),
        _against("reserve", "储备项目", 5),
        _against("above_size", "新增上规企业", 5),
        _best("start_rate", "开工率", "推进成效", 8),
        _best("production_rate", "投产率", "推进成效", 8),
        _best("target_rate", "达效率", "推进成效", 4),
        _best("problem_rate", "问题按时办结率", "营商环境", 8),
        _best("approval_rate", "审批按时办结率", "营商环境", 7),
        _best("mujun", "亩均效益", "亩均效益", 5),
    ),
    unit_label="开发区",
    consequences=(Consequence("top", 3, "考核优秀"),),
)

SCHEMES = {s.key: s for s in (BANK, MUJUN, ZONE)}
COMPUTED = {"zone"}  # the schemes whose inputs sanpi computes (no template to fill)
