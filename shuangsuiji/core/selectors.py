from typing import Any


def home_summary(*, user: Any) -> dict[str, Any]:
    from shuangsuiji.directory.selectors import entities_visible_to, inspectors_visible_to

    summary: dict[str, Any] = {"roles": user.role_labels(), "department": user.department}
    if user.role_set & {"manager", "leader", "inspector", "oversight"}:
        summary["entity_count"] = entities_visible_to(user).order_by()[:100001].count()
        summary["inspector_count"] = inspectors_visible_to(user).count()
    return summary
