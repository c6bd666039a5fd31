"""The two preset lists of approval items, loaded by a data migration and then edited by
the city office through the catalogue pages. Pure data and a loader; no Django imports.

* ``low_risk``: 社会投资简易低风险工程建设项目 (吕政办发〔2021〕42号, seeds/003…): six stages
  with the committed limits the document sets, 1 + 2 + 3 + 1 + 3 + 3 = 13 working days,
  and the whole process at most 20 working days (吕政办发〔2021〕40号 第10条).
* ``full_agency``: a general industrial project's 全代办 list (交城, seeds/000…): 30
  items from 立项 to 登记 with their departments. The seed gives only the totals (75 days
  cut to 35; 288 copies of materials cut to 21), not the items' limits or materials.

Where the seeds name no figure the values below are **our choice, not the seeds'**:
every statutory limit, the committed limits of the 全代办 items and their materials are
plausible values chosen so that the list reproduces the seed's totals when computed the
way sanpi computes them (stages one after another, a stage's items in parallel:
Σ of the longest limit per stage = 75 statutory and 35 committed working days; each item
asking for its own copies = 288 copies, every distinct material handed in once = 21).
The city office corrects them in the catalogue when the county's real list is at hand.
"""

from __future__ import annotations

from dataclasses import dataclass

# material names (the 21 base materials of the one-time notice)
LICENCE = "营业执照（统一社会信用代码证）"
LEGAL_ID = "法定代表人身份证明"
MANDATE = "授权委托书及受托人身份证明"
APPLICATION = "项目申请表（申请报告）"
FILING = "项目备案证明"
SITE_MAP = "项目用地红线图（勘测定界图）"
LAND_TITLE = "土地出让合同或不动产权证书"
LAND_PERMIT = "建设用地规划许可证"
SCHEME = "建设工程设计方案（总平面图）"
WORKS_PERMIT = "建设工程规划许可证"
DRAWINGS = "施工图设计文件及审查合格书"
EIA = "环境影响报告表（书）"
ENERGY_REPORT = "节能报告"
SOIL_WATER = "水土保持方案报告"
SAFETY_REPORT = "安全评价报告"
CONTRACTS = "施工合同和监理合同"
FUNDS = "建设资金落实证明"
QUALITY = "工程质量安全承诺书"
COMPLETION = "竣工验收报告"
SURVEY = "竣工测绘成果报告"
LIGHTNING = "雷电防护装置检测报告"

ORIGINAL, COPY = "original", "copy"


@dataclass(frozen=True)
class PresetItem:
    name: str
    stage: str
    department_kind: str
    statutory_days: int
    committed_days: int
    materials: tuple[tuple[str, int, str], ...]  # (name, copies, original/copy)
    basis: str = ""


@dataclass(frozen=True)
class PresetTrack:
    code: str
    name: str
    basis: str
    description: str
    items: tuple[PresetItem, ...]
    total_limit_days: int | None = None
    low_risk: bool = False


# Every item of either list asks for these (the applicant's identity).
_ID = ((LICENCE, 1, COPY), (LEGAL_ID, 1, COPY))


def _m(*materials: tuple[str, int, str]) -> tuple[tuple[str, int, str], ...]:
    return _ID + materials


def _f(*materials: tuple[str, int, str]) -> tuple[tuple[str, int, str], ...]:
    """A 全代办 item: before the reform each item asked for two copies of the identity papers."""
    return tuple((name, 2, form) for name, _, form in _ID) + materials


LOW_RISK = PresetTrack(
    code="low_risk",
    name="社会投资简易低风险工程建设项目",
    basis="吕政办发〔2021〕42号；吕政办发〔2021〕40号第10条",
    description=(
        "地上建筑面积不大于2000平方米且高度不大于24米，地下不超过一层且地下建筑面积不大于"
        "1000平方米，功能单一的办公建筑、商业建筑、公共服务设施、普通仓库和厂房。审批环节"
        "优化为六个，审批时间压缩为13个工作日内；全过程审批累计最多20个工作日。"
    ),
    total_limit_days=20,
    low_risk=True,
    items=(
        # Committed limits: 42号 四、压缩审批时间. Statutory limits: our choice (see above).
        PresetItem(
            "项目核准/备案",
            "initiation",
            "approval",
            3,
            1,
            _m((APPLICATION, 1, ORIGINAL)),
            "核准/备案与市政公用设施接入报装“一表式”申请",
        ),
        PresetItem(
            "建设用地规划许可",
            "land",
            "natural_resources",
            20,
            2,
            _m((FILING, 1, COPY), (SITE_MAP, 1, ORIGINAL), (LAND_TITLE, 1, COPY)),
            "岩土工程勘察由市规划和自然资源局委托第三方完成，随许可证发给建设单位",
        ),
        PresetItem(
            "建设工程规划许可",
            "planning",
            "approval",
            20,
            3,
            _m((LAND_PERMIT, 1, COPY), (SCHEME, 1, ORIGINAL)),
            "不进行设计方案审查，实行批后公示；设计人员及建设单位双承诺",
        ),
        PresetItem(
            "施工许可",
            "construction",
            "approval",
            7,
            1,
            _m((WORKS_PERMIT, 1, COPY), (CONTRACTS, 1, COPY), (QUALITY, 1, ORIGINAL)),
        ),
        PresetItem(
            "联合竣工验收",
            "acceptance",
            "housing",
            15,
            3,
            _m((COMPLETION, 1, ORIGINAL), (SURVEY, 1, ORIGINAL)),
            "规划核实和消防备案联合验收，统一出具联合竣工验收报告",
        ),
        PresetItem(
            "不动产首次登记",
            "registration",
            "natural_resources",
            30,
            3,
            _m((LAND_TITLE, 1, ORIGINAL), (SURVEY, 1, ORIGINAL), (COMPLETION, 1, COPY)),
            "凭联合验收成果办理，免缴登记费",
        ),
    ),
)


FULL_AGENCY = PresetTrack(
    code="full_agency",
    name="一般工业项目“全代办”办理事项清单",
    basis="交城县“全代办”改革（吕梁日报，seeds/000…）",
    description=(
        "一般工业项目从前期准备到竣工投产涉及的30项审批事项及办理部门。开发区审批中心办理的"
        "事项由开发区管委会班子成员和审批人员领办代办，省市县层面审批的事项由县级领导和县直"
        "职能部门领办代办。"
    ),
    items=(
        # 立项: 3 / 1
        PresetItem(
            "企业投资项目备案",
            "initiation",
            "approval",
            3,
            1,
            _f((APPLICATION, 2, ORIGINAL), (MANDATE, 1, ORIGINAL)),
        ),
        # 用地: 15 / 7
        PresetItem(
            "建设项目用地预审与选址意见书",
            "land",
            "natural_resources",
            15,
            7,
            _f(
                (MANDATE, 1, ORIGINAL),
                (APPLICATION, 3, COPY),
                (FILING, 2, COPY),
                (SITE_MAP, 3, ORIGINAL),
            ),
        ),
        PresetItem(
            "建设用地规划许可证",
            "land",
            "natural_resources",
            10,
            5,
            _f(
                (MANDATE, 1, ORIGINAL),
                (FILING, 2, COPY),
                (SITE_MAP, 3, ORIGINAL),
                (LAND_TITLE, 2, COPY),
            ),
        ),
        PresetItem(
            "国有建设用地使用权出让合同签订",
            "land",
            "natural_resources",
            10,
            5,
            _f(
                (MANDATE, 1, ORIGINAL), (FILING, 2, COPY), (SITE_MAP, 2, COPY), (FUNDS, 2, ORIGINAL)
            ),
        ),
        PresetItem(
            "压覆重要矿产资源审查",
            "land",
            "natural_resources",
            10,
            5,
            _f((MANDATE, 1, ORIGINAL), (APPLICATION, 2, COPY), (SITE_MAP, 3, COPY)),
        ),
        PresetItem(
            "地质灾害危险性评估备案",
            "land",
            "natural_resources",
            5,
            3,
            _f((MANDATE, 1, ORIGINAL), (SITE_MAP, 2, COPY), (APPLICATION, 2, COPY)),
        ),
        PresetItem(
            "国有建设用地使用权首次登记",
            "land",
            "natural_resources",
            15,
            7,
            _f(
                (MANDATE, 1, ORIGINAL),
                (LAND_TITLE, 3, ORIGINAL),
                (SITE_MAP, 2, COPY),
                (FUNDS, 2, COPY),
            ),
        ),
        # 规划: 10 / 5
        PresetItem(
            "建设工程设计方案审查",
            "planning",
            "approval",
            10,
            5,
            _f(
                (MANDATE, 1, ORIGINAL),
                (LAND_PERMIT, 2, COPY),
                (SCHEME, 4, ORIGINAL),
                (LAND_TITLE, 2, COPY),
            ),
        ),
        PresetItem(
            "建设工程规划许可证",
            "planning",
            "approval",
            10,
            5,
            _f(
                (MANDATE, 1, ORIGINAL),
                (LAND_PERMIT, 2, COPY),
                (SCHEME, 3, ORIGINAL),
                (LAND_TITLE, 2, COPY),
                (FILING, 2, COPY),
            ),
        ),
        PresetItem(
            "施工图设计文件审查",
            "planning",
            "housing",
            10,
            5,
            _f((MANDATE, 1, ORIGINAL), (WORKS_PERMIT, 2, COPY), (DRAWINGS, 3, ORIGINAL)),
        ),
        PresetItem(
            "特殊建设工程消防设计审查",
            "planning",
            "housing",
            10,
            5,
            _f((MANDATE, 1, ORIGINAL), (WORKS_PERMIT, 2, COPY), (DRAWINGS, 3, ORIGINAL)),
        ),
        PresetItem(
            "结建防空地下室审批（易地建设）",
            "planning",
            "civil_air_defense",
            10,
            3,
            _f((MANDATE, 1, ORIGINAL), (WORKS_PERMIT, 2, COPY), (SCHEME, 2, COPY)),
        ),
        PresetItem(
            "雷电防护装置设计审核",
            "planning",
            "meteorology",
            10,
            3,
            _f((MANDATE, 1, ORIGINAL), (DRAWINGS, 2, COPY), (SCHEME, 2, COPY)),
        ),
        # 环评: 10 / 5
        PresetItem(
            "建设项目环境影响评价审批",
            "environment",
            "ecology",
            10,
            5,
            _f((MANDATE, 1, ORIGINAL), (FILING, 2, COPY), (EIA, 3, ORIGINAL), (SITE_MAP, 2, COPY)),
        ),
        PresetItem(
            "生产建设项目水土保持方案审批",
            "environment",
            "water",
            10,
            5,
            _f((MANDATE, 1, ORIGINAL), (FILING, 2, COPY), (SOIL_WATER, 3, ORIGINAL)),
        ),
        PresetItem(
            "取水许可",
            "environment",
            "water",
            10,
            5,
            _f((MANDATE, 1, ORIGINAL), (FILING, 2, COPY), (APPLICATION, 2, COPY)),
        ),
        # 能评: 7 / 3
        PresetItem(
            "固定资产投资项目节能审查",
            "energy",
            "development",
            7,
            3,
            _f((MANDATE, 1, ORIGINAL), (FILING, 2, COPY), (ENERGY_REPORT, 3, ORIGINAL)),
        ),
        PresetItem(
            "危险化学品建设项目安全条件审查",
            "energy",
            "emergency",
            7,
            3,
            _f((MANDATE, 1, ORIGINAL), (FILING, 2, COPY), (SAFETY_REPORT, 3, ORIGINAL)),
        ),
        # 施工许可: 5 / 2
        PresetItem(
            "建筑工程施工许可证核发",
            "construction",
            "approval",
            5,
            2,
            _f(
                (MANDATE, 1, ORIGINAL),
                (WORKS_PERMIT, 2, COPY),
                (DRAWINGS, 2, COPY),
                (CONTRACTS, 2, COPY),
                (FUNDS, 2, ORIGINAL),
                (QUALITY, 2, ORIGINAL),
            ),
        ),
        PresetItem(
            "工程质量安全监督手续",
            "construction",
            "housing",
            5,
            2,
            _f((MANDATE, 1, ORIGINAL), (CONTRACTS, 2, COPY), (QUALITY, 2, ORIGINAL)),
        ),
        PresetItem(
            "建设工程招标投标情况备案",
            "construction",
            "housing",
            5,
            1,
            _f((MANDATE, 1, ORIGINAL), (CONTRACTS, 2, COPY)),
        ),
        # 竣工验收: 15 / 7
        PresetItem(
            "建设工程竣工规划核实",
            "acceptance",
            "natural_resources",
            15,
            5,
            _f((MANDATE, 1, ORIGINAL), (WORKS_PERMIT, 2, COPY), (SURVEY, 2, ORIGINAL)),
        ),
        PresetItem(
            "特殊建设工程消防验收",
            "acceptance",
            "housing",
            15,
            7,
            _f((MANDATE, 1, ORIGINAL), (DRAWINGS, 2, COPY), (COMPLETION, 2, ORIGINAL)),
        ),
        PresetItem(
            "雷电防护装置竣工验收",
            "acceptance",
            "meteorology",
            10,
            5,
            _f((MANDATE, 1, ORIGINAL), (LIGHTNING, 2, ORIGINAL)),
        ),
        PresetItem(
            "人防工程竣工验收备案",
            "acceptance",
            "civil_air_defense",
            10,
            3,
            _f((MANDATE, 1, ORIGINAL), (COMPLETION, 1, COPY)),
        ),
        PresetItem(
            "危险化学品建设项目安全设施竣工验收",
            "acceptance",
            "emergency",
            15,
            7,
            _f((MANDATE, 1, ORIGINAL), (SAFETY_REPORT, 1, COPY), (COMPLETION, 1, COPY)),
        ),
        PresetItem(
            "水土保持设施自主验收报备",
            "acceptance",
            "water",
            10,
            3,
            _f((MANDATE, 1, ORIGINAL), (SOIL_WATER, 1, COPY), (COMPLETION, 1, COPY)),
        ),
        PresetItem(
            "建设工程竣工验收备案",
            "acceptance",
            "housing",
            10,
            5,
            _f((MANDATE, 1, ORIGINAL), (COMPLETION, 1, ORIGINAL), (SURVEY, 1, COPY)),
        ),
        # 登记: 10 / 5
        PresetItem(
            "不动产首次登记（房屋）",
            "registration",
            "natural_resources",
            10,
            5,
            _f(
                (MANDATE, 1, ORIGINAL),
                (LAND_TITLE, 1, ORIGINAL),
                (SURVEY, 1, ORIGINAL),
                (COMPLETION, 1, COPY),
            ),
        ),
        PresetItem(
            "排污许可证核发",
            "registration",
            "ecology",
            10,
            5,
            _f((MANDATE, 1, ORIGINAL), (EIA, 1, COPY), (COMPLETION, 1, COPY)),
        ),
    ),
)

PRESETS = (LOW_RISK, FULL_AGENCY)


def load_presets(Track, CatalogueItem, CatalogueMaterial) -> None:
    """Create (or bring back) the preset lists. Takes the model classes so the data
    migration can pass its historical models. Existing items are left as edited."""
    for preset in PRESETS:
        track, _ = Track.objects.get_or_create(
            code=preset.code,
            defaults={
                "name": preset.name,
                "basis": preset.basis,
                "description": preset.description,
                "total_limit_days": preset.total_limit_days,
                "low_risk": preset.low_risk,
            },
        )
        for sequence, spec in enumerate(preset.items, start=1):
            item, created = CatalogueItem.objects.get_or_create(
                track=track,
                name=spec.name,
                defaults={
                    "sequence": sequence,
                    "stage": spec.stage,
                    "department_kind": spec.department_kind,
                    "statutory_days": spec.statutory_days,
                    "committed_days": spec.committed_days,
                    "basis": spec.basis,
                },
            )
            if created:
                CatalogueMaterial.objects.bulk_create(
                    CatalogueMaterial(item=item, name=name, copies=copies, form=form)
                    for name, copies, form in spec.materials
                )


def unload_presets(Track, CatalogueItem, CatalogueMaterial) -> None:
    codes = [p.code for p in PRESETS]
    CatalogueMaterial.objects.filter(item__track__code__in=codes).delete()
    CatalogueItem.objects.filter(track__code__in=codes).delete()
    Track.objects.filter(code__in=codes).delete()
