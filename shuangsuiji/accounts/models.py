from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from shuangsuiji.accounts.roles import Role


class Department(models.Model):
    """A department in the district: a bureau, its stations or sections, an office.

    `path` is the materialised chain of ids ("/1/4/"), so a subtree is one indexed prefix query.
    """

    class Kind(models.TextChoices):
        BUREAU = "bureau", "局/大队"
        STATION = "station", "所/中队"
        SECTION = "section", "科室"
        OFFICE = "office", "联席办"

    class JointDuty(models.TextChoices):
        # 004 第九条: some departments must initiate a joint inspection every year, others at least join.
        INITIATE = "initiate", "每年至少发起一次联合抽查"
        JOIN = "join", "每年至少发起或参与一次"
        OPTIONAL = "optional", "根据需要发起或参与"

    code = models.CharField("部门代码", max_length=32, unique=True)
    name = models.CharField("部门名称", max_length=100)
    short_name = models.CharField("简称", max_length=30, blank=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.BUREAU)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    joint_duty = models.CharField(
        "联合抽查义务", max_length=16, choices=JointDuty.choices, default=JointDuty.OPTIONAL
    )
    sort_order = models.PositiveIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "部门"
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def role_set(self) -> frozenset[str]:
        cached: frozenset[str] | None = getattr(self, "_role_cache", None)
        if cached is None:
            cached = frozenset(self.role_grants.values_list("role", flat=True)) if self.pk else frozenset()
            self._role_cache = cached
        return cached

    def role_labels(self) -> list[str]:
        return [Role(r).label for r in Role.values if r in self.role_set]


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "角色授予"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_role_per_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class PasswordHistory(models.Model):
    """Hashes of a user's recent passwords, so a new one cannot repeat any of the last five."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"
