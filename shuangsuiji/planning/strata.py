"""Stratification schemes: which stratum each entity falls in, as a database expression, and the
default rates (configuration, never constants: every rate is editable per task).

Labels are short ASCII codes (they are keys in population.tsv); names are what people read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, CharField, Value, When
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce, Concat, NullIf

CREDIT = [  # (code stored on Entity, label, name, default rate bp): A ≤5%, B 5–20%, C 21–60%, D 61–100%
    ("A", "A", "信用风险低（A类）", 300),
    ("B", "B", "信用风险一般（B类）", 1000),
    ("C", "C", "信用风险较高（C类）", 3000),
    ("D", "D", "信用风险高（D类）", 8000),
    ("", "U", "未分类", 500),
]
FIRE = [  # 消防安全重点单位 100% (001, 003)
    ("key", "K", "消防安全重点单位", 10000),
    ("general", "G", "一般单位", 500),
    ("small", "S", "九小场所", 300),
    ("", "O", "其他单位", 200),
]


@dataclass(frozen=True)
class StratumDefault:
    label: str
    name: str
    rate_bp: int


UNCLASSIFIED_INDUSTRY = "未分类行业"


def default_strata(scheme: str, industries: list[str] | None = None) -> list[StratumDefault]:
    if scheme == "industry":
        # Industry names are the labels (keys may be any NFC text without TAB/LF); 5% until set per risk.
        return [
            StratumDefault(name, name, 500) for name in sorted(set(industries or [UNCLASSIFIED_INDUSTRY]))
        ]
    if scheme == "none":
        return [StratumDefault("ALL", "全部检查对象", 500)]
    if scheme == "credit":
        return [StratumDefault(label, name, rate) for _, label, name, rate in CREDIT]
    if scheme == "fire":
        return [StratumDefault(label, name, rate) for _, label, name, rate in FIRE]
    if scheme == "credit_fire":
        return [
            StratumDefault(f"{c_label}-{f_label}", f"{c_name}·{f_name}", max(c_rate, f_rate))
            for _, c_label, c_name, c_rate in CREDIT
            for _, f_label, f_name, f_rate in FIRE
        ]
    raise ValueError(f"unknown stratification {scheme!r}")


def _case(field: str, table: list[tuple[str, str, str, int]]) -> Case:
    whens = [When(**{field: code}, then=Value(label)) for code, label, _, _ in table if code]
    default = next(label for code, label, _, _ in table if not code)
    return Case(*whens, default=Value(default), output_field=CharField())


def label_expression(scheme: str) -> Expression:
    if scheme == "industry":
        return Coalesce(NullIf("industry", Value("")), Value(UNCLASSIFIED_INDUSTRY), output_field=CharField())
    if scheme == "none":
        return Value("ALL", output_field=CharField())
    if scheme == "credit":
        return _case("credit_risk_class", CREDIT)
    if scheme == "fire":
        return _case("fire_safety_category", FIRE)
    if scheme == "credit_fire":
        return Concat(
            _case("credit_risk_class", CREDIT),
            Value("-"),
            _case("fire_safety_category", FIRE),
            output_field=CharField(),
        )
    raise ValueError(f"unknown stratification {scheme!r}")
