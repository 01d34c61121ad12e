"""Import specs of the four registers of issue 3: 检查对象名录 (entities), 执法检查人员名录 (inspectors),
抽查事项清单 (inspection items) and 回避申报 (conflict declarations).

Keys and option codes follow the models of ``shuangsuiji.directory`` and ``shuangsuiji.catalog``
(``Entity``, ``Inspector``, ``Conflict``, ``InspectionItem``); the values of foreign keys (管辖单位, 单位,
检查主体) are the names as written, for the app to resolve. Entity files carry one code column holding a
USCC or an old registration number; a row hook adds ``uscc`` and ``reg_no`` next to ``code``.

Only the columns 003 lists for the object directory are required of entity files (单位名称、统一社会信用
代码（注册号）、法定代表人、住所、登记机关、管辖单位); everything else is optional.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from shuangsuiji.tabular.columns import ColumnSpec, TableSpec
from shuangsuiji.tabular.normalize import (
    Boolean,
    Code,
    Date,
    Integer,
    ManyOf,
    OneOf,
    Option,
    Percent,
    Text,
    Uscc,
)

# ---- enumerations (codes = the models' TextChoices values) ------------------------------------------

ENTITY_TYPES: Final = OneOf(
    [
        Option("individual", "个体工商户", ("个体", "个体户", "个体经营"), contains=("个体",)),
        Option("cooperative", "农民专业合作社", ("合作社", "专业合作社", "农民合作社"), contains=("合作社",)),
        Option(
            "company",
            "企业",
            ("公司", "企业法人", "有限责任公司", "股份有限公司", "个人独资企业", "合伙企业"),
            contains=("公司", "企业", "分支机构"),
        ),
        Option("government", "机关", ("机关单位", "国家机关", "党政机关", "机关法人"), contains=("机关",)),
        Option("institution", "事业单位", ("事业", "事业法人"), contains=("事业",)),
        Option("association", "社会团体", ("社团", "社会组织", "社会团体法人", "民办非企业单位")),
        Option("other", "其他主体", ("其他", "其它")),
    ],
    what="主体类型",
)

ENTITY_STATUSES: Final = OneOf(
    [
        Option(
            "active", "存续", ("在业", "开业", "在营", "正常", "在册", "存续（在营、开业、在册）", "确立")
        ),
        Option("suspended", "停业", ("歇业", "停业整顿")),
        Option("moved_out", "迁出", ("已迁出", "迁移异地", "迁往外地")),
        Option(
            "revoked", "吊销", ("已吊销", "吊销未注销", "吊销，未注销", "吊销营业执照"), contains=("吊销",)
        ),
        Option("deregistered", "注销", ("已注销", "注销登记"), contains=("注销",)),
    ],
    what="登记状态",
)

CREDIT_RISK_CLASSES: Final = OneOf(
    [
        Option(
            "A",
            "A类（信用风险低）",
            ("A类", "A级", "低", "低风险", "信用风险低", "风险低", "信用风险低（A类）"),
        ),
        Option("B", "B类（信用风险一般）", ("B类", "B级", "一般", "一般风险", "信用风险一般", "风险一般")),
        Option("C", "C类（信用风险较高）", ("C类", "C级", "较高", "较高风险", "信用风险较高", "风险较高")),
        Option("D", "D类（信用风险高）", ("D类", "D级", "高", "高风险", "信用风险高", "风险高")),
    ],
    what="信用风险分类",
)

FIRE_SAFETY_CATEGORIES: Final = OneOf(
    [
        Option("key", "消防安全重点单位", ("重点单位", "重点", "消防重点单位", "消防安全重点")),
        Option("general", "一般单位", ("一般", "一般消防单位")),
        Option("small", "九小场所", ("小场所", "九小", "九小场所（小场所）", "小单位")),
    ],
    what="消防安全类别",
)

BUILDING_CATEGORIES: Final = OneOf(
    [
        Option("high_rise", "高层建筑", ("高层", "超高层", "超高层建筑")),
        Option("multi_storey", "多层建筑", ("多层",)),
        Option("single_storey", "单层建筑", ("单层",)),
        Option("underground", "地下建筑", ("地下", "地下空间", "地下室")),
    ],
    what="建筑类别",
)

OCCUPANCIES: Final = OneOf(
    [
        Option("crowded", "人员密集场所", ("人员密集", "公众聚集场所")),
        Option("flammable", "易燃易爆场所", ("易燃易爆", "易燃易爆危险品场所")),
        Option("production", "生产加工场所", ("生产加工", "生产场所", "厂房")),
        Option("storage", "仓储物流场所", ("仓储", "仓库", "物流", "仓储场所")),
        Option("office", "办公场所", ("办公",)),
        Option("other", "其他场所", ("其他", "其它")),
    ],
    what="场所性质",
)

SCALES: Final = OneOf(
    [
        Option("large", "大型", ("大",)),
        Option("medium", "中型", ("中",)),
        Option("small", "小型", ("小",)),
        Option("micro", "微型", ("微",)),
    ],
    what="规模",
)

FIRE_FACILITIES: Final = OneOf(
    [
        Option("automatic", "设有自动消防设施", ("自动消防设施", "自动")),
        Option("hydrant", "设有室内消火栓系统", ("室内消火栓系统", "室内消火栓", "消火栓")),
        Option("basic", "仅配备灭火器材", ("灭火器材", "灭火器")),
    ],
    what="建筑消防设施类别",
)

GENDERS: Final = OneOf(
    [Option("M", "男", ("男性", "male", "m")), Option("F", "女", ("女性", "female", "f"))],
    what="性别",
)

ITEM_CATEGORIES: Final = OneOf(
    [
        Option("general", "一般检查事项", ("一般", "一般事项")),
        Option("key", "重点检查事项", ("重点", "重点事项")),
    ],
    what="事项类别",
)

METHODS: Final = ManyOf(
    [
        Option("onsite", "现场检查", ("现场", "实地检查")),
        Option("documentary", "书面检查", ("书面", "书面审查")),
        Option("online", "网络检查", ("网络", "网上检查", "网络监测")),
        Option("sampling", "抽样送检", ("抽样", "抽检", "抽样检测", "抽样检验")),
        Option("third_party", "委托专业机构", ("委托", "委托第三方", "专业机构", "委托专业机构检查")),
    ],
    what="检查方式",
)

# ---- shared columns ---------------------------------------------------------------------------------

_CODE_SYNONYMS: Final = (
    "统一社会信用代码",
    "信用代码",
    "社会信用代码",
    "统一代码",
    "注册号",
    "统一社会信用代码/注册号",
    "注册号/统一社会信用代码",
    "统一社会信用代码或注册号",
    "统一社会信用代码(注册号)",
    "营业执照注册号",
    "工商注册号",
    "主体身份代码",
)
_CERT_SYNONYMS: Final = (
    "执法证件号",
    "执法证件号码",
    "执法证号码",
    "执法证编号",
    "执法证件编号",
    "行政执法证号",
    "行政执法证件号",
    "行政执法证件号码",
    "执法证",
)
EXAMPLE_USCC: Final = "91410381MA0000001J"  # valid check digit, obviously fictitious
EXAMPLE_CERT_NO: Final = "41030000001"


def split_entity_code(code: str) -> tuple[str | None, str | None]:
    """An entity file's code → (uscc, reg_no): 18 characters is a USCC, anything else a 注册号."""
    return (code, None) if len(code) == 18 else (None, code)


def _entity_codes(values: dict[str, Any]) -> Iterable[tuple[str | None, str]] | None:
    values["uscc"], values["reg_no"] = split_entity_code(values["code"])
    return None


ENTITY_SPEC: Final = TableSpec(
    title="检查对象名录",
    columns=(
        ColumnSpec(
            "name",
            "单位名称",
            Text(200),
            required=True,
            synonyms=(
                "名称",
                "企业名称",
                "主体名称",
                "市场主体名称",
                "检查对象名称",
                "对象名称",
                "企业(单位)名称",
                "字号名称",
            ),
            example="示例：偃师区某某餐饮有限公司",
            width=30,
        ),
        ColumnSpec(
            "code",
            "统一社会信用代码（注册号）",
            Uscc(allow_registration_number=True),
            required=True,
            synonyms=_CODE_SYNONYMS,
            example=EXAMPLE_USCC,
            width=24,
        ),
        ColumnSpec(
            "legal_representative",
            "法定代表人",
            Text(50),
            required=True,
            synonyms=(
                "法定代表人/负责人",
                "法定代表人(负责人)",
                "负责人",
                "法人代表",
                "法人",
                "经营者",
                "投资人",
                "执行事务合伙人",
            ),
            example="张三",
        ),
        ColumnSpec(
            "address",
            "住所",
            Text(300),
            required=True,
            synonyms=(
                "住所(经营场所)",
                "住所/经营场所",
                "经营场所",
                "地址",
                "注册地址",
                "经营地址",
                "单位地址",
                "详细地址",
            ),
            example="偃师区商城路100号",
            width=36,
        ),
        ColumnSpec(
            "registration_authority",
            "登记机关",
            Text(100, repeats=True),
            required=True,
            synonyms=("登记机构", "发照机关"),
            example="偃师区市场监督管理局",
            width=22,
        ),
        ColumnSpec(
            "jurisdiction",
            "管辖单位",
            Text(100, repeats=True),
            required=True,
            synonyms=("管辖机关", "管辖部门", "监管单位", "监管机关", "所属监管所", "管辖所", "属地监管所"),
            example="城关市场监管所",
            note="填写本系统中的部门名称或简称",
            width=20,
        ),
        ColumnSpec(
            "town",
            "所在镇（街道）",
            Text(30, repeats=True),
            synonyms=("所属乡镇", "乡镇(街道)", "所在乡镇", "街道", "乡镇"),
            blank="",
        ),
        ColumnSpec(
            "entity_type",
            "主体类型",
            ENTITY_TYPES,
            synonyms=("市场主体类型", "企业类型", "单位类型", "主体类别", "类型"),
            blank="company",
            example="企业",
        ),
        ColumnSpec(
            "industry",
            "行业",
            Text(60, repeats=True),
            synonyms=("所属行业", "行业类别", "行业门类"),
            blank="",
        ),
        ColumnSpec(
            "status",
            "登记状态",
            ENTITY_STATUSES,
            synonyms=("经营状态", "企业状态", "状态"),
            blank="active",
            example="存续",
        ),
        ColumnSpec(
            "established_on", "成立日期", Date(), synonyms=("成立时间", "注册日期"), example="2020-05-18"
        ),
        ColumnSpec(
            "credit_risk_class",
            "信用风险分类",
            CREDIT_RISK_CLASSES,
            synonyms=("信用风险等级", "信用风险类别", "企业信用风险分类", "风险分类"),
            blank="",
            note="内部使用，不公示",
        ),
        ColumnSpec(
            "fire_safety_category",
            "消防安全类别",
            FIRE_SAFETY_CATEGORIES,
            synonyms=("消防安全管理类别", "消防类别", "单位消防类别"),
            blank="",
        ),
        ColumnSpec("building_category", "建筑类别", BUILDING_CATEGORIES, blank=""),
        ColumnSpec("occupancy", "场所性质", OCCUPANCIES, synonyms=("场所类别",), blank=""),
        ColumnSpec("scale", "规模", SCALES, synonyms=("企业规模", "单位规模"), blank=""),
        ColumnSpec(
            "fire_facilities", "建筑消防设施类别", FIRE_FACILITIES, synonyms=("消防设施类别",), blank=""
        ),
    ),
    unique=(("code",),),
    row_hooks=(_entity_codes,),
    notes=("统一社会信用代码为18位；尚未换发营业执照的个体工商户可填写15位注册号。",),
)

INSPECTOR_SPEC: Final = TableSpec(
    title="执法检查人员名录",
    columns=(
        ColumnSpec(
            "name",
            "姓名",
            Text(50, remove_spaces=True),
            required=True,
            synonyms=("执法人员姓名", "人员姓名", "执法检查人员姓名", "执法人员"),
            example="李四",
        ),
        ColumnSpec("gender", "性别", GENDERS, required=True, example="男"),
        ColumnSpec(
            "department",
            "单位",
            Text(100),
            required=True,
            synonyms=("所属单位", "工作单位", "所在单位", "所属部门", "部门"),
            example="偃师区消防救援大队",
            note="填写本系统中的部门名称或简称",
            width=22,
        ),
        ColumnSpec(
            "post", "职务/岗位", Text(60), synonyms=("职务", "岗位", "职务(岗位)"), blank="", example="监督员"
        ),
        ColumnSpec(
            "title_category",
            "专业技术职称类别",
            Text(60),
            synonyms=("专业技术职称", "职称", "职称类别"),
            blank="",
        ),
        ColumnSpec(
            "specialties",
            "业务专长",
            Text(200),
            synonyms=("专长", "业务特长"),
            blank="",
            example="消防监督检查",
        ),
        ColumnSpec(
            "cert_no",
            "执法证号",
            Code("执法证号", max_length=40),
            required=True,
            synonyms=_CERT_SYNONYMS,
            example=EXAMPLE_CERT_NO,
            width=18,
        ),
        ColumnSpec(
            "years_of_service",
            "执法工作年限",
            Integer(min_value=0, max_value=60, units=("年",)),
            synonyms=("执法年限", "从事执法工作年限", "工作年限"),
            example="5",
        ),
        ColumnSpec(
            "qualified",
            "具有行政执法资格",
            Boolean(),
            synonyms=("执法资格", "是否具有执法资格", "行政执法资格"),
        ),
        ColumnSpec("on_duty", "在岗", Boolean(), synonyms=("是否在岗", "在岗状态")),
    ),
    unique=(("cert_no",),),
    notes=("只有取得行政执法资格的人员才能列入执法检查人员名录库。",),
)

CONFLICT_SPEC: Final = TableSpec(
    title="回避申报",
    columns=(
        ColumnSpec(
            "cert_no",
            "执法证号",
            Code("执法证号", max_length=40),
            required=True,
            synonyms=_CERT_SYNONYMS,
            example=EXAMPLE_CERT_NO,
        ),
        ColumnSpec(
            "inspector_name",
            "执法人员姓名",
            Text(50, remove_spaces=True),
            synonyms=("姓名", "执法检查人员", "执法检查人员姓名", "人员姓名"),
            example="李四",
        ),
        ColumnSpec(
            "entity_code",
            "统一社会信用代码（注册号）",
            Uscc(allow_registration_number=True),
            required=True,
            synonyms=_CODE_SYNONYMS,
            example=EXAMPLE_USCC,
        ),
        ColumnSpec(
            "entity_name",
            "单位名称",
            Text(200),
            synonyms=("检查对象名称", "检查对象", "企业名称", "名称"),
            example="示例：偃师区某某餐饮有限公司",
        ),
        ColumnSpec(
            "reason",
            "利害关系",
            Text(200),
            required=True,
            synonyms=("利害关系说明", "回避事由", "回避原因", "回避理由", "关系说明"),
            example="配偶在该单位任职",
        ),
        ColumnSpec(
            "declared_on", "申报日期", Date(), required=True, synonyms=("申报时间",), example="2025-03-01"
        ),
    ),
    unique=(("cert_no", "entity_code"),),
)

INSPECTION_ITEM_SPEC: Final = TableSpec(
    title="抽查事项清单",
    columns=(
        ColumnSpec(
            "code",
            "事项编码",
            Code("事项编码", max_length=40),
            required=True,
            synonyms=("事项代码", "抽查事项编码", "编码"),
            example="XF-001",
        ),
        ColumnSpec(
            "name",
            "抽查事项名称",
            Text(200),
            required=True,
            synonyms=("事项名称", "抽查事项", "检查事项", "检查事项名称"),
            example="对单位履行消防安全职责情况的日常监督抽查",
            width=36,
        ),
        ColumnSpec(
            "basis",
            "抽查依据",
            Text(2000, single_line=False),
            required=True,
            synonyms=("依据", "检查依据", "法律依据"),
            example="《中华人民共和国消防法》、《消防监督检查规定》（公安部令第120号）",
            width=40,
        ),
        ColumnSpec(
            "object_type",
            "检查对象",
            Text(200),
            required=True,
            synonyms=("抽查对象", "检查对象类型", "对象类型"),
            example="消防救援机构管辖的机关、团体、企业、事业等单位",
            width=30,
        ),
        ColumnSpec(
            "category",
            "事项类别",
            ITEM_CATEGORIES,
            synonyms=("类别", "检查事项类别"),
            blank="general",
            example="一般检查事项",
        ),
        ColumnSpec(
            "methods", "检查方式", METHODS, synonyms=("抽查方式", "检查方法"), example="现场检查、抽样送检"
        ),
        ColumnSpec(
            "department",
            "检查主体",
            Text(100),
            required=True,
            synonyms=("实施主体", "检查部门", "责任部门", "检查单位"),
            example="区消防救援大队",
            note="填写本系统中的部门名称或简称",
        ),
        ColumnSpec("default_rate_bp", "抽查比例", Percent(), synonyms=("默认抽查比例",), example="5%"),
        ColumnSpec("plan_note", "抽查计划", Text(200), synonyms=("抽查计划说明",), blank=""),
        ColumnSpec(
            "period_note",
            "抽查时间",
            Text(100),
            synonyms=("抽查时限", "检查时间"),
            blank="",
            example="2025年1月至12月",
        ),
    ),
    unique=(("code",),),
)

SPECS: Final = {
    "entities": ENTITY_SPEC,
    "inspectors": INSPECTOR_SPEC,
    "conflicts": CONFLICT_SPEC,
    "inspection_items": INSPECTION_ITEM_SPEC,
}
