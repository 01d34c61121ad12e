from django.db import models


class Role(models.TextChoices):
    SYSADMIN = "sysadmin", "系统管理员"
    SECADMIN = "secadmin", "安全管理员"
    AUDITADMIN = "auditadmin", "审计管理员"
    OVERSIGHT = "oversight", "联席办"
    LEADER = "leader", "科室负责人"
    MANAGER = "manager", "抽查管理员"
    INSPECTOR = "inspector", "执法检查人员"


# 等保 三员分立: no account may hold two of these.
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN})
# Roles that read across every department instead of their own subtree.
CROSS_DEPARTMENT_ROLES = frozenset({Role.OVERSIGHT})
