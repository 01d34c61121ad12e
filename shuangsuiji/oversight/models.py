from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class DashboardSnapshot(models.Model):
    """The dashboard's tables for one (year, scope) as last computed, kept in the database so that every
    process (the site's and the worker's) reads the same figures and a page never waits for the year's
    scans: the page shows the snapshot and its age, and the worker computes the next one."""

    year = models.PositiveSmallIntegerField()
    scope = models.CharField(max_length=64)  # "all", or a digest of the department ids
    day = models.DateField()  # the `today` of the overdue counts
    tables = models.JSONField(encoder=DjangoJSONEncoder)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)  # how long computing took

    class Meta:
        verbose_name = "统计快照"
        constraints = [models.UniqueConstraint(fields=["year", "scope"], name="oversight_snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.year} {self.scope} @ {self.computed_at:%Y-%m-%d %H:%M}"
