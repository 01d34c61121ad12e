"""A realistic, deterministic demo county modelled on 洛阳市偃师区.

Everything is generated from a seed derived from the requested size, so the same size always gives
the same county (and the same USCCs), which makes demo screenshots and bug reports reproducible.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from faker import Faker
from stdnum.cn import uscc as stdnum_uscc

from shuangsuiji.accounts.models import Department, RoleGrant, User
from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit.services import audit_record
from shuangsuiji.catalog.models import InspectionItem, Method, ResultCode, ResultCodeSet
from shuangsuiji.catalog.reference import ensure_result_code_sets
from shuangsuiji.demo.models import DemoLoad
from shuangsuiji.directory.models import (
    BuildingCategory,
    Conflict,
    CreditRiskClass,
    DirectoryListing,
    Entity,
    EntityType,
    FireFacilities,
    FireSafetyCategory,
    Gender,
    Inspector,
    Occupancy,
    Scale,
    Status,
)

# Printed by `shuangsuiji demo`; refused outside debug mode (accounts.passwords, accounts.forms).
DEMO_PASSWORD = "Ssj@demo2026"  # noqa: S105  # nosec B105
DISTRICT = "洛阳市偃师区"

# Market-regulation stations and the real towns/streets of 偃师区 each covers.
STATIONS = [
    ("SCJG-CG", "城关市场监管所", ["商城街道", "槐新街道", "伊洛街道", "城关镇"]),
    ("SCJG-SYS", "首阳山市场监管所", ["首阳山街道", "邙岭镇", "山化镇"]),
    ("SCJG-GX", "顾县市场监管所", ["顾县镇", "佃庄镇"]),
    ("SCJG-YT", "岳滩市场监管所", ["岳滩镇", "翟镇镇"]),
    ("SCJG-LC", "李村市场监管所", ["李村镇", "庞村镇", "寇店镇"]),
    ("SCJG-GS", "缑氏市场监管所", ["缑氏镇", "府店镇", "大口镇", "高龙镇"]),
]

# code, name, short, kind, parent code, joint duty (004 第九条)
DEPARTMENTS = [
    ("LXB", "偃师区部门联合“双随机、一公开”监管工作联席会议办公室", "区联席办", "office", None, "optional"),
    ("SCJG", "洛阳市偃师区市场监督管理局", "区市场监管局", "bureau", None, "initiate"),
    ("SCJG-XYK", "信用监管科", "信用监管科", "section", "SCJG", "optional"),
    *[(code, name, name, "station", "SCJG", "optional") for code, name, _ in STATIONS],
    ("XFJY", "洛阳市偃师区消防救援大队", "区消防救援大队", "bureau", None, "join"),
    ("YJJ", "洛阳市偃师区应急管理局", "区应急局", "bureau", None, "initiate"),
    ("SGJ", "洛阳市偃师区商务和工业信息化局", "区商工局", "bureau", None, "initiate"),
    ("WLJ", "洛阳市偃师区文化广电和旅游局", "区文旅局", "bureau", None, "initiate"),
    ("WJW", "洛阳市偃师区卫生健康委员会", "区卫健委", "bureau", None, "initiate"),
]


@dataclass(frozen=True)
class Industry:
    name: str
    weight: int
    company_suffixes: tuple[str, ...]
    shop_suffixes: tuple[str, ...]  # for 个体工商户; empty = no individuals in this industry
    fire_company: str  # fire-safety category of a company ("" = none)
    fire_shop: str
    occupancy: str
    regulators: tuple[str, ...]  # departments that list such entities in their directory


INDUSTRIES = [
    Industry(
        "餐饮服务",
        16,
        ("餐饮管理有限公司", "餐饮服务有限公司"),
        ("饭店", "小吃店", "烩面馆", "火锅店", "面馆"),
        "general",
        "small",
        "crowded",
        ("SCJG", "XFJY", "WJW"),
    ),
    Industry(
        "批发零售",
        20,
        ("商贸有限公司", "贸易有限公司", "超市有限公司"),
        ("便利店", "超市", "日杂店", "烟酒店"),
        "general",
        "small",
        "crowded",
        ("SCJG", "XFJY", "SGJ"),
    ),
    Industry(
        "住宿",
        4,
        ("酒店管理有限公司", "宾馆有限公司"),
        ("宾馆", "旅社", "农家乐"),
        "key",
        "small",
        "crowded",
        ("SCJG", "XFJY", "WLJ", "WJW"),
    ),
    Industry(
        "文化娱乐",
        3,
        ("文化传媒有限公司", "娱乐有限公司"),
        ("网吧", "KTV", "棋牌室"),
        "key",
        "small",
        "crowded",
        ("SCJG", "XFJY", "WLJ"),
    ),
    Industry(
        "制造业",
        14,
        ("耐火材料有限公司", "机械制造有限公司", "钢制家具有限公司", "针织有限公司", "电器有限公司"),
        ("五金加工部", "机械加工厂"),
        "general",
        "small",
        "production",
        ("SCJG", "XFJY", "YJJ"),
    ),
    Industry(
        "建材",
        5,
        ("建材有限公司", "新型建材有限公司"),
        ("建材店", "瓷砖店"),
        "general",
        "small",
        "storage",
        ("SCJG", "XFJY"),
    ),
    Industry(
        "物流仓储",
        4,
        ("物流有限公司", "仓储服务有限公司"),
        (),
        "general",
        "",
        "storage",
        ("SCJG", "XFJY", "YJJ"),
    ),
    Industry(
        "教育培训",
        3,
        ("教育咨询有限公司", "培训学校有限公司"),
        ("托管中心",),
        "key",
        "small",
        "crowded",
        ("SCJG", "XFJY", "SGJ"),
    ),
    Industry(
        "医药卫生",
        5,
        ("医药连锁有限公司", "大药房有限公司"),
        ("诊所", "药店"),
        "general",
        "small",
        "crowded",
        ("SCJG", "XFJY", "WJW"),
    ),
    Industry(
        "成品油与危化品",
        2,
        ("石油化工有限公司", "能源有限公司"),
        ("加油站",),
        "key",
        "key",
        "flammable",
        ("SCJG", "XFJY", "YJJ", "SGJ"),
    ),
    Industry(
        "信息技术",
        6,
        ("科技有限公司", "网络科技有限公司", "信息技术有限公司"),
        (),
        "general",
        "",
        "office",
        ("SCJG",),
    ),
    Industry(
        "美容美发",
        6,
        ("美容美发有限公司",),
        ("理发店", "美容店", "美甲店"),
        "",
        "small",
        "crowded",
        ("SCJG", "XFJY", "WJW", "SGJ"),
    ),
    Industry("农业", 4, ("农业开发有限公司",), (), "", "", "other", ("SCJG",)),
    Industry(
        "社会服务",
        3,
        ("家政服务有限公司", "物业管理有限公司"),
        ("家电维修部", "洗衣店"),
        "general",
        "small",
        "office",
        ("SCJG", "XFJY"),
    ),
]

USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _uscc(rng: random.Random, prefix: str, region: str, used: set[str]) -> str:
    while True:
        body = prefix + region + "MA" + "".join(rng.choice(USCC_BODY) for _ in range(7))
        code = body + stdnum_uscc.calc_check_digit(body)
        if code not in used:
            used.add(code)
            return code


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _departments() -> dict[str, Department]:
    made: dict[str, Department] = {}
    for order, (code, name, short, kind, parent, duty) in enumerate(DEPARTMENTS):
        department = Department.objects.create(
            code=code,
            name=name,
            short_name=short,
            kind=kind,
            parent=made.get(parent) if parent else None,
            joint_duty=duty,
            sort_order=order,
        )
        parent_path = made[parent].path if parent else "/"
        department.path = f"{parent_path}{department.pk}/"
        department.save(update_fields=["path"])
        made[code] = department
    return made


def _items(departments: dict[str, Department]) -> None:
    ensure_result_code_sets(ResultCodeSet, ResultCode)
    joint = ResultCodeSet.objects.get(code="joint-2025")
    no_pass_fail = ResultCodeSet.objects.get(code="joint-no-pass-fail")
    fire_product = ResultCodeSet.objects.get(code="fire-product")
    fire_law = "《中华人民共和国消防法》、《消防监督检查规定》（公安部令第120号）"
    on, doc, net, samp, third = (
        Method.ONSITE,
        Method.DOCUMENTARY,
        Method.ONLINE,
        Method.SAMPLING,
        Method.THIRD_PARTY,
    )
    rows = [
        # code, name, basis, object type, category, methods, department, rate bp, plan note, code set
        (
            "XF-01",
            "对单位履行消防安全职责情况的日常监督抽查",
            fire_law,
            "消防救援机构管辖的机关、团体、企业、事业等单位",
            "general",
            [on],
            "XFJY",
            500,
            "消防安全重点单位100%，一般单位、九小场所、其他单位根据实际情况开展",
            no_pass_fail,
        ),
        (
            "XF-02",
            "对使用领域的消防产品质量监督抽查",
            fire_law,
            "使用领域的消防产品",
            "general",
            [on, samp],
            "XFJY",
            200,
            "根据实际情况开展",
            fire_product,
        ),
        (
            "XF-03",
            "对社会消防技术服务机构开展的检测、维保服务项目规范性情况的抽查",
            "《中华人民共和国消防法》《社会消防技术服务管理规定》",
            "消防技术服务机构",
            "general",
            [on],
            "XFJY",
            10000,
            "根据实际情况开展",
            no_pass_fail,
        ),
        (
            "SC-01",
            "企业公示信息抽查",
            "《企业信息公示暂行条例》",
            "企业、农民专业合作社、个体工商户",
            "general",
            [doc, net, on],
            "SCJG",
            500,
            "按行业风险等级 5%–100%",
            joint,
        ),
        (
            "SC-02",
            "营业执照登记事项检查",
            "《中华人民共和国市场主体登记管理条例》及其实施细则",
            "各类市场主体",
            "general",
            [on],
            "SCJG",
            500,
            "营业执照（登记证）规范使用情况，名称规范使用情况，住所（经营场所）",
            joint,
        ),
        (
            "SC-03",
            "直销企业违法行为检查",
            "《直销管理条例》《禁止传销条例》",
            "直销企业",
            "key",
            [on, doc],
            "SCJG",
            10000,
            "",
            joint,
        ),
        (
            "SC-04",
            "广告发布单位违法行为检查",
            "《中华人民共和国广告法》",
            "广告发布单位",
            "general",
            [on, net],
            "SCJG",
            500,
            "",
            joint,
        ),
        (
            "SC-05",
            "商标使用及商标代理行为检查",
            "《中华人民共和国商标法》《商标代理监督管理规定》",
            "商标代理机构及商标使用人",
            "general",
            [on, doc],
            "SCJG",
            500,
            "",
            joint,
        ),
        (
            "SC-06",
            "流通领域商品质量检查",
            "《中华人民共和国产品质量法》",
            "流通领域商品经销商",
            "general",
            [on, samp],
            "SCJG",
            500,
            "",
            joint,
        ),
        (
            "SC-07",
            "明码标价和价格执行行为检查",
            "《中华人民共和国价格法》《明码标价和禁止价格欺诈规定》",
            "价格执行单位",
            "general",
            [on],
            "SCJG",
            500,
            "",
            joint,
        ),
        (
            "SC-08",
            "特种设备使用单位检查",
            "《中华人民共和国特种设备安全法》",
            "特种设备使用单位",
            "key",
            [on, third],
            "SCJG",
            2000,
            "",
            joint,
        ),
        (
            "SC-09",
            "计量器具使用情况检查",
            "《中华人民共和国计量法》",
            "计量器具使用单位",
            "general",
            [on],
            "SCJG",
            500,
            "",
            joint,
        ),
        (
            "YJ-01",
            "工贸企业安全生产情况检查",
            "《中华人民共和国安全生产法》",
            "工贸行业生产经营单位",
            "key",
            [on],
            "YJJ",
            1000,
            "",
            joint,
        ),
        (
            "SG-01",
            "单用途商业预付卡发卡经营者检查",
            "《单用途商业预付卡管理办法（试行）》",
            "零售、住宿餐饮、居民服务业企业",
            "general",
            [on, doc],
            "SGJ",
            500,
            "",
            joint,
        ),
        (
            "SG-02",
            "成品油零售经营企业检查",
            "《成品油市场管理办法》",
            "成品油零售经营企业",
            "key",
            [on],
            "SGJ",
            3000,
            "",
            joint,
        ),
        (
            "WL-01",
            "娱乐场所经营活动检查",
            "《娱乐场所管理条例》",
            "歌舞、游艺娱乐场所",
            "general",
            [on],
            "WLJ",
            1000,
            "",
            joint,
        ),
        (
            "WL-02",
            "旅行社经营行为检查",
            "《旅行社条例》",
            "旅行社",
            "general",
            [on, doc],
            "WLJ",
            1000,
            "",
            joint,
        ),
        (
            "WJ-01",
            "公共场所卫生检查",
            "《公共场所卫生管理条例》",
            "住宿、美容美发等公共场所经营者",
            "general",
            [on],
            "WJW",
            500,
            "",
            joint,
        ),
    ]
    made: dict[str, InspectionItem] = {}
    for code, name, basis, obj, category, methods, dept, rate, note, code_set in rows:
        made[code] = InspectionItem.objects.create(
            code=code,
            name=name,
            basis=basis,
            object_type=obj,
            category=category,
            methods=[str(m) for m in methods],
            department=departments[dept],
            default_rate_bp=rate,
            plan_note=note,
            period_note="全年",
            result_code_set=code_set,
        )
    # 000: the fire brigade leads, market regulation joins, one visit checks both items.
    joint_item = InspectionItem.objects.create(
        code="LH-01",
        name="消防产品质量监督“双随机、一公开”联合抽查",
        basis="洛双随机〔2022〕5号；《河南省市场监管领域部门联合抽查事项清单》",
        object_type="使用消防产品的单位",
        category="general",
        methods=[Method.ONSITE.value, Method.SAMPLING.value],
        department=departments["XFJY"],
        default_rate_bp=200,
        plan_note="抽查比例不小于2%",
        period_note="7月1日—10月20日",
        result_code_set=fire_product,
    )
    joint_item.components.set([made["XF-02"], made["SC-02"]])


def _entities(rng: random.Random, fake: Faker, departments: dict[str, Department], count: int) -> list[int]:
    used: set[str] = set()
    industry_weights = [(i.name, i.weight) for i in INDUSTRIES]
    by_name = {i.name: i for i in INDUSTRIES}
    town_station = [(town, code) for code, _, towns in STATIONS for town in towns]
    entities: list[Entity] = []
    listings: list[tuple[int, tuple[str, ...]]] = []
    credit = [("A", 60), ("B", 30), ("C", 8), ("D", 2)]
    status = [
        (Status.ACTIVE, 92),
        (Status.SUSPENDED, 3),
        (Status.DEREGISTERED, 2),
        (Status.REVOKED, 2),
        (Status.MOVED_OUT, 1),
    ]
    today = date(2026, 1, 1)
    for index in range(count):
        industry = by_name[_weighted(rng, industry_weights)]
        town, station = rng.choice(town_station)
        roll = rng.random()
        established = today - timedelta(days=rng.randint(30, 365 * 25))
        region = "410381" if established.year < 2021 else "410307"  # 偃师市 became 偃师区 in 2021
        authority = ("偃师市" if established.year < 2021 else "洛阳市偃师区") + "市场监督管理局"
        person = fake.name()
        fire = industry.fire_company
        if industry.shop_suffixes and roll < 0.30:
            kind = EntityType.INDIVIDUAL
            name = f"{DISTRICT[3:]}{town}{person}{rng.choice(industry.shop_suffixes)}"
            code = _uscc(rng, "92", region, used)
            fire = industry.fire_shop
        elif industry.name == "农业" and roll < 0.6:
            kind = EntityType.COOPERATIVE
            name = f"{DISTRICT[3:]}{town}{fake.last_name()}{rng.choice(['种植', '养殖', '农机'])}专业合作社"
            code = _uscc(rng, "93", region, used)
        elif roll > 0.985:
            kind = rng.choice([EntityType.INSTITUTION, EntityType.GOVERNMENT])
            name = (
                f"{DISTRICT[3:]}{town}{rng.choice(['中心小学', '卫生院', '敬老院', '文化站'])}"
                if kind == EntityType.INSTITUTION
                else f"{DISTRICT[3:]}{town}人民政府"
            )
            code = _uscc(rng, "12" if kind == EntityType.INSTITUTION else "11", region, used)
            authority = "偃师区委机构编制委员会办公室"
            fire = "key" if kind == EntityType.INSTITUTION and rng.random() < 0.5 else "general"
        else:
            kind = EntityType.COMPANY
            prefix = rng.choice(["洛阳", "洛阳", "偃师", "河南"])
            name = f"{prefix}{fake.company_prefix()}{rng.choice(industry.company_suffixes)}"
            code = _uscc(rng, "91", region, used)
            if fire == "general" and rng.random() < 0.06:
                fire = "key"  # large sites of an ordinary trade are still key units
        is_fire = bool(fire)
        entities.append(
            Entity(
                name=name,
                uscc=code,
                legal_representative=person,
                address=f"{DISTRICT}{town}{fake.street_name()}{rng.randint(1, 399)}号",
                town=town,
                registration_authority=authority,
                jurisdiction=departments[station],
                entity_type=kind,
                industry=industry.name,
                status=_weighted(rng, status),
                established_on=established,
                credit_risk_class=_weighted(rng, credit)
                if kind != EntityType.INDIVIDUAL or rng.random() < 0.5
                else "",
                fire_safety_category=fire,
                building_category=_weighted(
                    rng,
                    [
                        (BuildingCategory.MULTI_STOREY, 50),
                        (BuildingCategory.SINGLE_STOREY, 35),
                        (BuildingCategory.HIGH_RISE, 10),
                        (BuildingCategory.UNDERGROUND, 5),
                    ],
                )
                if is_fire
                else "",
                occupancy=industry.occupancy if is_fire else "",
                scale=(
                    rng.choice([Scale.LARGE, Scale.MEDIUM])
                    if fire == "key"
                    else rng.choice([Scale.SMALL, Scale.MICRO])
                )
                if is_fire
                else "",
                fire_facilities=(
                    FireFacilities.AUTOMATIC
                    if fire == "key"
                    else rng.choice([FireFacilities.HYDRANT, FireFacilities.BASIC])
                )
                if is_fire
                else "",
            )
        )
        regulators = (
            industry.regulators
            if kind in (EntityType.COMPANY, EntityType.INDIVIDUAL, EntityType.COOPERATIVE)
            else ("XFJY",)
        )
        if not is_fire:
            regulators = tuple(r for r in regulators if r != "XFJY")
        listings.append((index, regulators))
    created = Entity.objects.bulk_create(entities, batch_size=2000)
    DirectoryListing.objects.bulk_create(
        [
            DirectoryListing(entity_id=created[i].pk, department=departments[code])
            for i, codes in listings
            for code in codes
        ],
        batch_size=5000,
    )
    return [e.pk for e in created]


SPECIALTIES = {
    "SCJG": [
        "登记注册",
        "信用监管",
        "广告监管",
        "价格监督",
        "商标监管",
        "产品质量",
        "特种设备",
        "计量",
        "食品安全",
    ],
    "XFJY": ["消防监督", "建筑防火", "消防产品", "火灾调查"],
    "YJJ": ["安全生产", "危险化学品", "工贸安全"],
    "SGJ": ["商贸流通", "成品油管理", "预付卡监管"],
    "WLJ": ["文化市场", "旅游市场"],
    "WJW": ["公共场所卫生", "医疗机构监管"],
}
POSTS = ["科员", "科员", "执法队员", "执法队员", "副科长", "科长", "副所长", "所长"]
TITLES = ["", "", "助理经济师", "经济师", "助理工程师", "工程师", "高级工程师"]


def _inspectors(rng: random.Random, fake: Faker, departments: dict[str, Department]) -> list[Inspector]:
    plan = [
        ("SCJG", 5),
        ("SCJG-XYK", 3),
        *[(code, 5) for code, _, _ in STATIONS],
        ("XFJY", 14),
        ("YJJ", 7),
        ("SGJ", 6),
        ("WLJ", 6),
        ("WJW", 6),
    ]
    inspectors: list[Inspector] = []
    counter = 0
    for code, size in plan:
        root = code.split("-")[0]
        for n in range(1, size + 1):
            counter += 1
            if root == "XFJY":
                cert = f"XF-0381-{n:02d}"
            else:
                cert = f"豫执04{10 + [c for c, _ in plan].index(code):02d}{n:03d}"
            gender = Gender.FEMALE if rng.random() < 0.3 else Gender.MALE
            name = fake.name_female() if gender == Gender.FEMALE else fake.name_male()
            inspectors.append(
                Inspector(
                    name=name,
                    gender=gender,
                    department=departments[code],
                    post=rng.choice(POSTS),
                    title_category=rng.choice(TITLES),
                    specialties="、".join(rng.sample(SPECIALTIES[root], 2)),
                    cert_no=cert,
                    years_of_service=rng.randint(1, 28),
                    # A few are listed for reference but hold no 行政执法资格 (001): never drawable.
                    qualified=counter % 19 != 7,
                    on_duty=counter % 31 != 11,
                )
            )
    return Inspector.objects.bulk_create(inspectors)


def _conflicts(rng: random.Random, inspectors: list[Inspector], entity_ids: list[int]) -> None:
    reasons = [
        "近亲属在该单位担任负责人",
        "曾在该单位任职，离职未满三年",
        "与法定代表人系近亲属",
        "本人持有该企业股份",
        "配偶在该单位工作",
    ]
    picks = rng.sample([i for i in inspectors if i.qualified], 6)
    for inspector, reason in zip(picks, reasons * 2, strict=False):
        Conflict.objects.create(
            inspector=inspector,
            entity_id=rng.choice(entity_ids),
            reason=reason,
            declared_on=date(2026, rng.randint(1, 10), rng.randint(1, 28)),
        )


# username, role, department code, linked inspector department (for inspector accounts)
ACCOUNTS = [
    ("lxb.oversight", Role.OVERSIGHT, "LXB"),
    ("xyk.oversight", Role.OVERSIGHT, "SCJG-XYK"),
    ("scjg.sysadmin", Role.SYSADMIN, "SCJG"),
    ("xfjy.sysadmin", Role.SYSADMIN, "XFJY"),
    ("scjg.secadmin", Role.SECADMIN, "SCJG"),
    ("xfjy.secadmin", Role.SECADMIN, "XFJY"),
    ("scjg.auditor", Role.AUDITADMIN, "SCJG"),
    ("xfjy.auditor", Role.AUDITADMIN, "XFJY"),
    ("scjg.leader", Role.LEADER, "SCJG"),
    ("cg.leader", Role.LEADER, "SCJG-CG"),
    ("xfjy.leader", Role.LEADER, "XFJY"),
    ("scjg.manager", Role.MANAGER, "SCJG"),
    ("cg.manager", Role.MANAGER, "SCJG-CG"),
    ("xfjy.manager", Role.MANAGER, "XFJY"),
    ("yjj.manager", Role.MANAGER, "YJJ"),
    ("cg.inspector", Role.INSPECTOR, "SCJG-CG"),
    ("gx.inspector", Role.INSPECTOR, "SCJG-GX"),
    ("xfjy.inspector", Role.INSPECTOR, "XFJY"),
]


def _accounts(fake: Faker, departments: dict[str, Department], inspectors: list[Inspector]) -> None:
    from django.contrib.auth.hashers import make_password

    password = make_password(DEMO_PASSWORD)
    for username, role, code in ACCOUNTS:
        department = departments[code]
        linked = None
        if role == Role.INSPECTOR:
            linked = next(
                i
                for i in inspectors
                if i.department_id == department.pk and i.user_id is None and i.qualified and i.on_duty
            )
            full_name = linked.name
        else:
            full_name = fake.name()
        user = User.objects.create(
            username=username,
            full_name=full_name,
            department=department,
            password=password,
            password_changed_at=timezone.now(),
        )
        RoleGrant.objects.create(user=user, role=role)
        if linked is not None:
            linked.user = user
            linked.save(update_fields=["user"])


def _short_name(user: User | None, code: str) -> str:
    return user.department.short_name if user is not None and user.department is not None else code


def _plans_and_ceremonies(departments: dict[str, Department]) -> None:
    """A joint plan with a finished ceremony (teams, one 递补, one approved 调整更换) and an annual plan
    whose task is ready to draw, so a newcomer can run a ceremony at once."""
    from shuangsuiji.draws import eligibility
    from shuangsuiji.draws import services as draws
    from shuangsuiji.planning import services as planning
    from shuangsuiji.planning.models import Plan

    users = {u.username: u for u in User.objects.all()}
    xfjy, scjg, office = users["xfjy.manager"], users["scjg.manager"], users["lxb.oversight"]
    joint_items = InspectionItem.objects.filter(code__in=["XF-02", "SC-02"])
    joint = planning.plan_create(
        actor=xfjy,
        department=departments["XFJY"],
        year=2026,
        kind=Plan.Kind.JOINT,
        title="偃师区2026年消防产品质量监督“双随机、一公开”联合抽查",
        items=joint_items,
        participants=[departments["SCJG"]],
        methods=["onsite", "sampling"],
        planned_ratio="不小于2%",
        basis="洛双随机〔2022〕5号",
        period_start=date(2026, 6, 2),
        period_end=date(2026, 10, 28),
        deploy_start=date(2026, 6, 2),
        deploy_end=date(2026, 6, 30),
        implement_start=date(2026, 7, 1),
        implement_end=date(2026, 10, 20),
        summary_start=date(2026, 10, 20),
        summary_end=date(2026, 10, 28),
    )
    planning.plan_transition(actor=xfjy, plan=joint, to="submitted")
    planning.plan_transition(actor=office, plan=joint, to="published")
    task = planning.task_create(
        actor=xfjy,
        plan=joint,
        title="消防产品使用及营业执照登记事项联合检查",
        items=joint_items,
        methods=["onsite"],
        result_code_set=ResultCodeSet.objects.get(code="fire-product"),
        period_start=date(2026, 7, 1),
        period_end=date(2026, 10, 20),
        stratification="fire",
    )
    planning.task_set_rates(actor=xfjy, task=task, rates_bp={"K": 1000, "G": 300, "S": 200, "O": 200})
    draw = draws.draw_commit(actor=xfjy, task=task)
    draws.witness_add(
        actor=xfjy, draw=draw, name="赵廉明", role="integrity", organisation="区纪委监委派驻纪检组"
    )
    draws.witness_add(
        actor=xfjy, draw=draw, name="钱企和", role="enterprise", organisation="区个体劳动者协会"
    )
    draw = draws.draw_execute(
        actor=xfjy,
        draw=draw,
        ceremony_entropy="4 2 6 1 5 3 3 6 1 2 4 5 6 6 2 1 3 4 5 2",
        place="区消防救援大队三楼会议室",
    )
    first = draw.selections.order_by("rank").first()
    if first is not None:
        seat = first.members.get(leader=True, active=True)
        draws.draw_substitute(
            actor=xfjy,
            selection=first,
            department_code=seat.department.code,
            out=seat.inspector,
            reason="抽中人员参加省总队业务培训，无法参加检查",
        )
        other = first.members.filter(active=True, department__code="SCJG").first()
        if other is not None:
            pool = eligibility.pool_inspectors(task.departments.get(department__code="SCJG"))
            incoming = (
                pool.exclude(pk__in=first.members.values("inspector_id"))
                .exclude(conflicts__entity=first.entity)
                .order_by("cert_no")
                .first()
            )
            if incoming is not None:
                change = draws.replacement_request(
                    actor=xfjy,
                    selection=first,
                    department_code="SCJG",
                    out=other.inspector,
                    incoming=incoming,
                    reason="执法回避：与该单位负责人系近亲属",
                )
                draws.replacement_decide(actor=users["scjg.leader"], change=change, approve=True)
    draws.draw_dispatch(actor=xfjy, draw=draw)

    annual = planning.plan_create(
        actor=scjg,
        department=departments["SCJG"],
        year=2026,
        kind=Plan.Kind.ANNUAL,
        title="偃师区市场监督管理局2026年度“双随机、一公开”抽查计划",
        items=InspectionItem.objects.filter(code__in=["SC-01", "SC-02", "SC-07"]),
        methods=["documentary", "onsite"],
        planned_ratio="按信用风险分类：A类3%、B类10%、C类30%、D类80%",
        basis="偃市监〔2026〕13号",
        period_start=date(2026, 3, 6),
        period_end=date(2026, 12, 20),
    )
    planning.plan_transition(actor=scjg, plan=annual, to="submitted")
    planning.plan_transition(actor=office, plan=annual, to="published")
    planning.task_create(
        actor=scjg,
        plan=annual,
        title="企业公示信息及营业执照登记事项抽查（第四季度）",
        items=InspectionItem.objects.filter(code__in=["SC-01", "SC-02"]),
        methods=["documentary", "onsite"],
        period_start=date(2026, 11, 23),
        period_end=date(2026, 12, 20),
        stratification="credit",
    )


def _history_2025(departments: dict[str, Department], rng: random.Random) -> None:
    """Last year, finished: the 城关 station's annual task drawn, inspected, every result published (so its
    draw can be verified on the portal) and the plan closed — the history the statistics compare with."""
    from shuangsuiji.catalog.models import ResultCode
    from shuangsuiji.draws import services as draws
    from shuangsuiji.inspections import services as inspections
    from shuangsuiji.planning import services as planning
    from shuangsuiji.planning.models import Plan

    users = {u.username: u for u in User.objects.all()}
    manager, office = users["scjg.manager"], users["lxb.oversight"]
    items = InspectionItem.objects.filter(code__in=["SC-01", "SC-02"])
    plan = planning.plan_create(
        actor=manager,
        department=departments["SCJG"],
        year=2025,
        kind=Plan.Kind.ANNUAL,
        title="偃师区市场监督管理局2025年度“双随机、一公开”抽查计划",
        items=items,
        methods=["documentary", "onsite"],
        planned_ratio="按信用风险分类：A类2%、B类5%、C类20%、D类50%",
        basis="偃市监〔2025〕9号",
        period_start=date(2025, 3, 3),
        period_end=date(2025, 12, 19),
    )
    planning.plan_transition(actor=manager, plan=plan, to="submitted")
    planning.plan_transition(actor=office, plan=plan, to="published")
    task = planning.task_create(
        actor=manager,
        plan=plan,
        title="城关辖区企业公示信息及营业执照登记事项抽查",
        items=items,
        methods=["documentary", "onsite"],
        period_start=date(2025, 4, 1),
        period_end=date(2025, 10, 31),
        jurisdictions=[departments["SCJG-CG"]],
        stratification="credit",
    )
    planning.task_set_rates(actor=manager, task=task, rates_bp={"A": 200, "B": 500, "C": 2000, "D": 5000})
    draw = draws.draw_commit(actor=manager, task=task)
    draws.witness_add(
        actor=manager, draw=draw, name="孙廉正", role="integrity", organisation="区纪委监委派驻纪检组"
    )
    draw = draws.draw_execute(
        actor=manager,
        draw=draw,
        ceremony_entropy="3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3",
        place="区市场监管局会议室",
    )
    draws.draw_dispatch(actor=manager, draw=draw)
    codes = {c.number: c for c in ResultCode.objects.filter(code_set=task.result_code_set)}
    # mostly 未发现问题; the problem codes more often among the higher credit-risk strata
    weights = {"A": [(1, 90), (7, 4), (2, 3), (5, 3)], "B": [(1, 80), (7, 5), (2, 6), (5, 6), (8, 3)]}
    weights["C"] = [(1, 60), (2, 12), (5, 12), (8, 8), (3, 4), (4, 4)]
    weights["D"] = [(1, 45), (2, 15), (5, 15), (8, 12), (3, 6), (4, 7)]
    photo = b"\xff\xd8\xff\xe0 demo evidence"
    for index, record in enumerate(task.records.select_related("selection").order_by("selection__rank")):
        part = record.parts.get()
        table = weights.get(record.selection.stratum, weights["B"])
        number = int(_weighted(rng, [(str(n), w) for n, w in table]))
        day = date(2025, 4, 7) + timedelta(days=(index * 3) % 180)
        if codes[number].without_inspection:
            inspections.evidence_add(
                actor=manager,
                record=record,
                upload=io.BytesIO(photo),
                size=len(photo),
                original_name="现场照片.jpg",
            )
        inspections.part_save(
            actor=manager,
            part=part,
            inspected_from=day,
            inspected_to=day,
            methods=["onsite"],
            results={r.item_id: inspections.ResultInput(codes[number]) for r in part.results.all()},
            opinion="" if number in (1, 7) else "责令改正",
            submit=True,
        )
        signature = "not_applicable" if codes[number].without_inspection else "signed"
        inspections.signature_set(actor=manager, record=record, signature=signature)
        inspections.record_publish(actor=manager, record=record)
        if number == 5:
            followup = inspections.followup_create(
                actor=manager,
                record=record,
                kind="rectification",
                detail="限期更正公示信息",
                rectify_by=day + timedelta(days=15),
            )
            inspections.followup_close(
                actor=manager,
                followup=followup,
                outcome="复查已整改",
                revisit_on=day + timedelta(days=20),
                rectified=True,
            )
    # Their publication happened last year too: most on time, some late (the statistics show both).
    from shuangsuiji.disclosure.models import PublishedResult
    from shuangsuiji.inspections.models import InspectionRecord

    for record in InspectionRecord.objects.filter(task=task).order_by("pk"):
        delay = 8 if rng.random() < 0.9 else 35
        when = timezone.make_aware(
            datetime.combine((record.inspected_to or date(2025, 10, 31)) + timedelta(days=delay), time(10))
        )
        InspectionRecord.objects.filter(pk=record.pk).update(published_at=when, completed_at=when)
        PublishedResult.objects.filter(record=record).update(published_at=when)
    planning.plan_transition(actor=manager, plan=plan, to="closed")


# What the demo's dispatched joint task shows, record by record (cycled): every state a record can be in.
RECORD_STORIES = (
    "published",
    "partial",
    "rectification",
    "complete",
    "corrected",
    "open",
    "correction_pending",
    "transfer",
)


def _inspections() -> None:
    """Records of the joint task in every state, some overdue, with follow-ups and corrections; the demo
    inspector accounts are put on a drawn team so that they find their work on first sign-in."""
    from shuangsuiji.catalog.models import ResultCode
    from shuangsuiji.draws.models import TeamMember
    from shuangsuiji.inspections import services as inspections
    from shuangsuiji.inspections.models import InspectionRecord
    from shuangsuiji.planning.models import Task

    users = {u.username: u for u in User.objects.all()}
    task = Task.objects.get(title="消防产品使用及营业执照登记事项联合检查")
    records = list(InspectionRecord.objects.filter(task=task).order_by("selection__rank"))
    if not records:
        return
    codes = {c.number: c for c in ResultCode.objects.filter(code_set=task.result_code_set)}
    managers = {"XFJY": users["xfjy.manager"], "SCJG": users["scjg.manager"]}
    leaders = {"XFJY": users["xfjy.leader"], "SCJG": users["scjg.leader"]}
    findings = {2: "灭火器压力不足，已责令立即更换", 3: "疏散指示标志损坏，责令限期改正"}

    def enter(record: InspectionRecord, department: str, number: int, day: date) -> None:
        part = record.parts.get(department__code=department)
        inspections.part_save(
            actor=managers[department],
            part=part,
            inspected_from=day,
            inspected_to=day,
            methods=["onsite"],
            results={
                r.item_id: inspections.ResultInput(codes[number], findings.get(number, ""))
                for r in part.results.filter(current=True)
            },
            opinion="" if number == 1 else "责令改正，逾期不改的依法处理",
            submit=True,
        )

    def publish(record: InspectionRecord) -> None:
        inspections.signature_set(actor=managers["XFJY"], record=record, signature="signed")
        inspections.record_publish(actor=managers["XFJY"], record=record)

    def result(record: InspectionRecord, department: str) -> Any:
        return record.parts.get(department__code=department).results.get(current=True)

    # The last record stays untouched for the demo inspector of each department.
    last = records[-1]
    for username, department in (("xfjy.inspector", "XFJY"), ("cg.inspector", "SCJG")):
        seat = (
            TeamMember.objects.filter(
                selection_id=last.selection_id, department__code=department, active=True
            )
            .order_by("-leader", "position")
            .first()
        )
        user = users[username]
        if seat is not None and seat.inspector.user_id != user.pk:
            Inspector.objects.filter(user=user).update(user=None)
            seat.inspector.user = user
            seat.inspector.save(update_fields=["user"])
            user.full_name = seat.inspector.name
            user.save(update_fields=["full_name"])
    # Ten rounds of the stories; the rest of a big task stays open (and overdue, as real tasks fall behind).
    for index, record in enumerate(records[: min(len(records) - 1, 10 * len(RECORD_STORIES))]):
        story = RECORD_STORIES[index % len(RECORD_STORIES)]
        day = date(2026, 8, 3) + timedelta(days=7 * (index % 10))
        if story == "open":
            continue
        enter(record, "SCJG", 1, day)
        if story == "partial":
            continue
        number = {"rectification": 3, "transfer": 2}.get(story, 1)
        enter(record, "XFJY", number, day)
        if story == "complete":
            inspections.signature_set(
                actor=managers["XFJY"],
                record=record,
                signature="refused",
                note="负责人拒绝签字，检查人员已在记录表上签字说明",
            )
            continue
        publish(record)
        if story == "rectification":
            inspections.followup_create(
                actor=managers["XFJY"],
                record=record,
                kind="rectification",
                detail="更换损坏的疏散指示标志",
                rectify_by=date(2026, 10, 30),
                result=result(record, "XFJY"),
            )
        elif story == "transfer":
            followup = inspections.followup_create(
                actor=managers["XFJY"],
                record=record,
                kind="transfer",
                detail="涉嫌销售不合格消防产品，移送市场监管局查处",
            )
            inspections.followup_close(
                actor=managers["XFJY"],
                followup=followup,
                outcome="已移送",
                receiver="偃师区市场监督管理局",
                document_no="偃消移〔2026〕7号",
            )
        elif story in ("corrected", "correction_pending"):
            correction = inspections.correction_request(
                actor=managers["SCJG"],
                result=result(record, "SCJG"),
                new_code=codes[2],
                new_finding="营业执照未在经营场所醒目位置悬挂",
                reason="复核现场照片发现漏记问题",
            )
            if story == "corrected":
                inspections.correction_decide(
                    actor=leaders["SCJG"], correction=correction, approve=True, note="同意更正"
                )


def _item_lists() -> None:
    """Every department's list published on the portal; the market bureau's twice (a past version)."""
    from shuangsuiji.disclosure.services import item_list_publish

    users = {
        u.username: u for u in User.objects.filter(username__endswith=".manager").select_related("department")
    }
    for user in users.values():
        if user.department is not None and user.department.parent_id is None:
            if InspectionItem.objects.filter(department=user.department, is_active=True).exists():
                item_list_publish(actor=user, department=user.department, note="年度清单")
    scjg = users["scjg.manager"]
    item = InspectionItem.objects.filter(department=scjg.department).order_by("code").first()
    if item is not None and scjg.department is not None:
        item.period_note = "每年第二、三季度"
        item.save(update_fields=["period_note"])
        item_list_publish(actor=scjg, department=scjg.department, note="调整抽查时间")


def demo_accounts() -> list[dict[str, Any]]:
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[a[0] for a in ACCOUNTS]).select_related("department")
    }
    return [
        {
            "username": username,
            "password": DEMO_PASSWORD,
            "role": Role(role).label,
            "department": _short_name(users.get(username), code),
        }
        for username, role, code in ACCOUNTS
    ]


def demo_load(*, entities: int = 20_000) -> DemoLoad | None:
    """Load the demo county once. Returns the new load record, or None when it was already loaded."""
    if entities < 100:
        raise ValueError("演示名录库至少需要 100 个检查对象。")
    with transaction.atomic():
        if DemoLoad.objects.exists() or Department.objects.filter(code="SCJG").exists():
            return None
        seed = 20260302 + entities
        rng = random.Random(seed)  # noqa: S311  # nosec B311
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        departments = _departments()
        _items(departments)
        entity_ids = _entities(rng, fake, departments, entities)
        inspectors = _inspectors(rng, fake, departments)
        _conflicts(rng, inspectors, entity_ids)
        _accounts(fake, departments, inspectors)
        _history_2025(departments, rng)
        _plans_and_ceremonies(departments)
        _inspections()
        _item_lists()
        load = DemoLoad.objects.create(entities=entities)
        audit_record(
            actor="system",
            action="demo.load",
            obj=load,
            summary=f"加载演示县区：{entities} 个检查对象，{len(inspectors)} 名执法检查人员",
        )
    return load


__all__ = ["CreditRiskClass", "FireSafetyCategory", "Occupancy", "demo_accounts", "demo_load"]
