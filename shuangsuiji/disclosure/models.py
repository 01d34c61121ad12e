"""What the public portal shows, written at the moment of publication: the portal reads only these tables
(and published plans), so nothing unpublished can leak through a query that forgot a filter."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from shuangsuiji.accounts.models import Department
from shuangsuiji.catalog.models import InspectionItem
from shuangsuiji.inspections.models import InspectionRecord, Result
from shuangsuiji.planning.models import Task


class PublishedResult(models.Model):
    """One published 检查结果 (department × item of a record), as the public sees it."""

    record = models.ForeignKey(InspectionRecord, on_delete=models.PROTECT, related_name="+")
    result = models.OneToOneField(Result, on_delete=models.PROTECT, related_name="published")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="+")
    entity_name = models.CharField("检查对象", max_length=200)
    entity_code = models.CharField("统一社会信用代码/注册号", max_length=30, db_index=True)
    # the legal representative of a company; a 个体工商户's operator masked (张**); empty otherwise
    representative = models.CharField("法定代表人/经营者", max_length=50, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    department_name = models.CharField("检查部门", max_length=100)
    item = models.ForeignKey(InspectionItem, on_delete=models.PROTECT, related_name="+")
    item_name = models.CharField("检查事项", max_length=200)
    code_number = models.PositiveSmallIntegerField("结果编号")
    code_label = models.CharField("检查结果", max_length=60)
    is_problem = models.BooleanField("发现问题")
    inspected_on = models.DateField("检查日期")
    year = models.PositiveSmallIntegerField("年度")
    published_at = models.DateTimeField("公示时间")
    corrected_at = models.DateTimeField("更正时间", null=True, blank=True)
    previous_label = models.CharField("更正前结果", max_length=60, blank=True)

    class Meta:
        verbose_name = "公示的检查结果"
        ordering = ["-pk"]
        # The portal pages results newest first by keyset (`-pk`): each filter's index ends in the key, so a
        # filtered page (and a deep `after=` page) is read in order instead of sorting every match; the home
        # page reads the latest by (published_at, id). Name search (LIKE '%…%') cannot use a B-tree on the
        # name, which only misled both planners into scanning it in name order: PostgreSQL has the bigram
        # GIN index of migration 0003 instead (benchmarks/bench_portal.py).
        indexes = [
            models.Index(fields=["year", "id"]),
            models.Index(fields=["department", "id"]),
            models.Index(fields=["item", "id"]),
            models.Index(fields=["code_number", "id"]),
            models.Index(fields=["published_at", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.entity_name} · {self.item_name}: {self.code_label}"


class ItemListVersion(models.Model):
    """A published version of one department's 抽查事项清单 (001 annex): a frozen snapshot."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="item_lists")
    version = models.PositiveIntegerField("版本")
    items = models.JSONField("事项")
    note = models.CharField("说明", max_length=200, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField("发布时间")

    class Meta:
        verbose_name = "抽查事项清单版本"
        ordering = ["department__path", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["department", "version"], name="unique_item_list_version")
        ]

    def __str__(self) -> str:
        return f"{self.department} 第{self.version}版"


class NameTokensField(models.TextField):  # type: ignore[type-arg]
    """The FTS5 column of `ResultName`; `tokens__match=…` is FTS5's MATCH."""


@NameTokensField.register_lookup
class Match(models.Lookup):  # type: ignore[type-arg]
    lookup_name = "match"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


class ResultName(models.Model):
    """SQLite only: the FTS5 index of published results' entity names by bigram (`disclosure.names`), its
    rowid the result's id. Created and kept by migration 0004's SQL and triggers, not by Django."""

    result = models.OneToOneField(
        PublishedResult,
        primary_key=True,
        db_column="rowid",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    tokens = NameTokensField()

    class Meta:
        managed = False
        db_table = "disclosure_resultname"

    def __str__(self) -> str:
        return f"名称索引 {self.pk}"
