"""Which roles hold which capability. Views name a capability with `@rule(...)`.

The permission-matrix tests are generated from this table, so it is the one place to read (and
change) who may do what.
"""

from __future__ import annotations

from typing import Any

from shuangsuiji.accounts.roles import Role

BUSINESS_READERS = frozenset({Role.MANAGER, Role.LEADER, Role.INSPECTOR, Role.OVERSIGHT})

RULES: dict[str, frozenset[Role]] = {
    # registers (一单两库)
    "directory.view": BUSINESS_READERS,
    "directory.edit": frozenset({Role.MANAGER}),
    "catalog.view": BUSINESS_READERS | {Role.SYSADMIN},
    "catalog.edit": frozenset({Role.MANAGER, Role.SYSADMIN}),
    # plans, tasks and the draw ceremony
    "plans.view": BUSINESS_READERS,
    "plans.edit": frozenset({Role.MANAGER}),
    "plans.transition": frozenset({Role.MANAGER, Role.LEADER, Role.OVERSIGHT}),
    "draws.view": BUSINESS_READERS,
    "draws.run": frozenset({Role.MANAGER}),
    "draws.approve": frozenset({Role.LEADER}),
    "draws.bundle": frozenset({Role.MANAGER, Role.LEADER, Role.OVERSIGHT}),
    # inspections, results and follow-up
    "inspections.view": BUSINESS_READERS,
    "inspections.enter": frozenset({Role.MANAGER, Role.LEADER, Role.INSPECTOR}),
    "inspections.publish": frozenset({Role.MANAGER, Role.LEADER}),
    "inspections.approve": frozenset({Role.LEADER}),
    "inspections.archive": frozenset({Role.MANAGER, Role.LEADER, Role.OVERSIGHT}),
    # oversight and statistics (效果可评)
    "oversight.view": frozenset({Role.OVERSIGHT, Role.LEADER, Role.MANAGER}),
    # administration (三员分立)
    "departments.view": frozenset({Role.SYSADMIN, Role.SECADMIN, Role.OVERSIGHT}),
    "departments.manage": frozenset({Role.SYSADMIN}),
    "accounts.manage": frozenset({Role.SECADMIN}),
    "audit.view": frozenset({Role.AUDITADMIN}),
    "workdays.manage": frozenset({Role.SYSADMIN}),
}


def user_passes(user: Any, rule_name: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    allowed = RULES.get(rule_name)
    if allowed is None:
        raise KeyError(f"unknown rule {rule_name!r}")
    return bool(user.role_set & allowed)
