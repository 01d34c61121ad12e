"""Errors of the lottery core. Each carries a Chinese message (shown to users first) and an English one."""

from __future__ import annotations


class LotteryError(Exception):
    """Base of every error the lottery core raises on purpose: ``str(err)`` is ``"中文 (English)"``."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} ({en})")
        self.zh = zh
        self.en = en


class InvalidInputError(LotteryError):
    """Inputs that break the protocol's rules: keys, strata, departments, nonce, task, dates, changes."""


class TsvFormatError(InvalidInputError):
    """A TSV file or stream that is not canonical (fields, order, duplicates, encoding)."""

    def __init__(self, zh: str, en: str, *, file: str, line: int | None = None) -> None:
        where_zh = f"{file} 第 {line} 行：" if line is not None else f"{file}："
        where_en = f"{file} line {line}: " if line is not None else f"{file}: "
        super().__init__(where_zh + zh, where_en + en)
        self.file = file
        self.line = line


class IntegrityError(LotteryError):
    """Data that does not match what was committed (digests, stratum sizes)."""


class DrawError(LotteryError):
    """A draw that cannot be completed; nothing may be stored."""


class TeamShortageError(DrawError):
    """Not enough inspectors for one entity and department, even ignoring the caps."""

    def __init__(self, entity: str, department: str, needed: int, available: int) -> None:
        super().__init__(
            f"检查对象 {entity} 无法从部门 {department} 抽足 {needed} 名执法检查人员"
            f"（回避后仅有 {available} 名可选）",
            f"cannot draw {needed} inspectors of department {department} for entity {entity}: "
            f"only {available} candidates without conflicts",
        )
        self.entity = entity
        self.department = department


class ChangeError(LotteryError):
    """A substitution (递补) or manual replacement (调整更换) that cannot be applied."""


class NoSubstituteError(ChangeError):
    """The (entity, department) ranking holds nobody left to substitute."""


class BundleError(LotteryError):
    """A bundle that cannot be read."""
