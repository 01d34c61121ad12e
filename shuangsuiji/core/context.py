"""The left navigation, by area, showing only what the user's roles may open."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from shuangsuiji.accounts.rules import user_passes

NAVIGATION: list[tuple[str, list[tuple[str, str, str | None]]]] = [
    ("工作台", [("首页", "core:home", None), ("待办与期限", "inspections:due", "inspections.view")]),
    (
        "一单两库",
        [
            ("抽查事项清单", "catalog:item_list", "catalog.view"),
            ("检查对象名录库", "directory:entity_list", "directory.view"),
            ("执法检查人员名录库", "directory:inspector_list", "directory.view"),
            ("回避申报", "directory:conflict_list", "directory.view"),
        ],
    ),
    ("抽查实施", [("抽查计划", "planning:plan_list", "plans.view")]),
    ("监督评价", [("统计与监督", "oversight:dashboard", "oversight.view")]),
    (
        "系统管理",
        [
            ("部门管理", "accounts:department_list", "departments.view"),
            ("节假日与工作日", "core:workdays", "workdays.manage"),
            ("账号管理", "accounts:user_list", "accounts.manage"),
            ("登录锁定", "accounts:lockouts", "accounts.manage"),
            ("审计日志", "audit:event_list", "audit.view"),
        ],
    ),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    sections = []
    for title, links in NAVIGATION:
        visible = [
            {
                "label": label,
                "url": reverse(name),
                "active": request.path.startswith(reverse(name))
                and (name != "core:home" or request.path == reverse(name)),
            }
            for label, name, rule_name in links
            if rule_name is None or user_passes(user, rule_name)
        ]
        if visible:
            sections.append({"title": title, "links": visible})
    return {"nav_sections": sections}
