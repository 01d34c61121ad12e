"""Every figure of the dashboard from known data, against values computed by hand.

The fixture moves its plans to 2024, a year the demo county leaves empty, so only the fixture counts. The
shapes that keep the dashboard fast at 10^6 results (benchmarks/bench_oversight.py: shared scans summed per
table, EXISTS for the department scope, the snapshot the page reads) are checked against the same data."""

from __future__ import annotations

import io
import math
import random
import zipfile
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import sign_in
from shuangsuiji.accounts.selectors import visible_department_ids
from shuangsuiji.directory.models import DirectoryListing, Entity, Status
from shuangsuiji.draws import services as draws
from shuangsuiji.draws.models import DrawSelection, TeamMember
from shuangsuiji.draws.services import committed_strata
from shuangsuiji.draws.tests.test_ceremony import make_joint_task
from shuangsuiji.inspections import services as inspections
from shuangsuiji.inspections.models import InspectionRecord
from shuangsuiji.inspections.tests.test_inspections import enter, part_of
from shuangsuiji.oversight import reports, statistics
from shuangsuiji.planning.models import Plan

pytestmark = pytest.mark.django_db

YEAR = 2024
TODAY = date(2026, 12, 1)


def drawn_task(cast: Any) -> Any:
    task = make_joint_task(cast)
    draw = draws.draw_commit(actor=cast["scjg.manager"], task=task)
    draw = draws.draw_execute(actor=cast["scjg.manager"], draw=draw, ceremony_entropy=f"stats {task.pk}")
    draws.draw_dispatch(actor=cast["scjg.manager"], draw=draw)
    Plan.objects.filter(pk=task.plan_id).update(
        year=YEAR, number=10000 + task.plan_id, ref=f"{task.plan.ref}（{task.plan_id}，移至{YEAR}）"
    )
    type(task).objects.filter(pk=task.pk).update(ref=f"{task.ref}（{task.pk}，移至{YEAR}）")
    task.refresh_from_db()
    return task


def publish_at(cast: Any, record: InspectionRecord, when: date) -> None:
    inspections.signature_set(actor=cast["scjg.manager"], record=record, signature="signed")
    inspections.record_publish(actor=cast["scjg.manager"], record=record)
    stamp = timezone.make_aware(
        timezone.datetime.combine(when, timezone.datetime.min.time().replace(hour=10))
    )
    InspectionRecord.objects.filter(pk=record.pk).update(published_at=stamp)


@pytest.fixture
def fixture_year(cast: Any) -> dict[str, Any]:
    """r1 published on time (1, 1); r2 published late (SCJG 5, XFJY 1); r3 half entered and overdue;
    the rest untouched and not yet due."""
    task = drawn_task(cast)
    records = list(task.records.order_by("selection__rank"))
    assert len(records) >= 4
    r1, r2, r3 = records[:3]
    InspectionRecord.objects.filter(task=task).update(results_due=TODAY + timedelta(days=30))
    for record in (r1, r2):
        enter(cast["scjg.manager"], part_of(record, "SCJG"), 1 if record is r1 else 5)
        enter(cast["xfjy.manager"], part_of(record, "XFJY"), 1)
    enter(cast["scjg.manager"], part_of(r3, "SCJG"), 1)
    for record in (r1, r2, r3):
        InspectionRecord.objects.filter(pk=record.pk).update(results_due=date(2026, 11, 20))
    publish_at(cast, r1, date(2026, 11, 19))
    publish_at(cast, r2, date(2026, 11, 23))
    InspectionRecord.objects.filter(pk=r3.pk).update(results_due=TODAY - timedelta(days=1))
    return {"task": task, "n": len(records), "r1": r1, "r2": r2, "r3": r3}


def rows_by(table: statistics.Table) -> dict[str, list[Any]]:
    return {str(row[0]): row for row in table.rows}


def test_progress_per_department_counts_overdue_as_not_done(fixture_year: dict[str, Any]) -> None:
    n = fixture_year["n"]
    table = statistics.progress_by_department(YEAR, None, TODAY)
    rows = rows_by(table)
    scjg, xfjy = rows["洛阳市偃师区市场监督管理局"], rows["洛阳市偃师区消防救援大队"]
    # drawn, inspected, entered, published, on time, late, overdue, on-time %, follow-ups open, overdue
    assert scjg[1:] == [n, 3, 3, 2, 1, 1, 1, round(100 / n, 1), 0, 0]
    assert xfjy[1:] == [n, 3, 2, 2, 1, 1, 1, round(100 / n, 1), 0, 0]
    plans = statistics.progress_by_plan(YEAR, None, TODAY)
    assert plans.rows[0][2:4] == [2 * n, 6]  # both departments' parts in the one plan


def test_a_departments_leader_sees_only_their_department(fixture_year: dict[str, Any], cast: Any) -> None:
    from shuangsuiji.accounts.selectors import visible_department_ids

    ids = visible_department_ids(cast["xfjy.leader"])
    table = statistics.progress_by_department(YEAR, ids, TODAY)
    assert [row[0] for row in table.rows] == ["洛阳市偃师区消防救援大队"]


def test_result_distributions(fixture_year: dict[str, Any]) -> None:
    codes = statistics.results_by(YEAR, None, "code")
    assert codes.rows == [["1. 未发现问题", 3, 75.0], ["5. 发现问题已责令整改", 1, 25.0]]
    departments = rows_by(statistics.results_by(YEAR, None, "department"))
    assert departments["洛阳市偃师区市场监督管理局"][1:] == [2, 1, 50.0]
    assert departments["洛阳市偃师区消防救援大队"][1:] == [2, 0, 0.0]
    items = rows_by(statistics.results_by(YEAR, None, "item"))
    assert sum(row[1] for row in items.values()) == 4 and sum(row[2] for row in items.values()) == 1


def test_problem_rate_by_stratum_and_the_uniform_comparison(fixture_year: dict[str, Any]) -> None:
    task, r2 = fixture_year["task"], fixture_year["r2"]
    table = statistics.problem_rate_by_stratum(YEAR, None)
    strata = {s.label: s for s in committed_strata(task.draw)}
    sampled = Counter(DrawSelection.objects.filter(draw__task=task).values_list("stratum", flat=True))
    problem_stratum = r2.selection.stratum
    published = Counter([fixture_year["r1"].selection.stratum, problem_stratum])
    rows = {row[1]: row for row in table.rows}
    row = rows[strata[problem_stratum].name]
    assert row[2:6] == [strata[problem_stratum].size, sampled[problem_stratum], published[problem_stratum], 1]
    # found = n_s · p_s; uniform = n · (N_s / N) · p_s, with p_s = 1 / published_s in that one stratum
    p = 1 / published[problem_stratum]
    found = sampled[problem_stratum] * p
    uniform = sum(sampled.values()) * strata[problem_stratum].size / sum(s.size for s in strata.values()) * p
    assert f"预计发现问题 {found:.1f} 户" in table.note and f"估计为 {uniform:.1f} 户" in table.note


def test_coverage_counts_each_inspected_entity_once(fixture_year: dict[str, Any]) -> None:
    table = statistics.coverage(YEAR, None)
    assert sum(row[2] for row in table.rows) == 3  # r1, r2, r3 have inspection dates
    assert sum(row[1] for row in table.rows) > 100


def test_entities_drawn_twice_for_one_item_in_a_year_are_listed(
    fixture_year: dict[str, Any], cast: Any
) -> None:
    assert statistics.over_inspected(YEAR, None).rows == []
    second = drawn_task(cast)  # drawn as 2026, moved to 2024: the exclusion of that year never saw it
    first = set(
        DrawSelection.objects.filter(draw__task=fixture_year["task"]).values_list("entity_id", flat=True)
    )
    again = set(DrawSelection.objects.filter(draw__task=second).values_list("entity_id", flat=True))
    assert first & again, "the two draws should overlap in a 400-entity county"
    table = statistics.over_inspected(YEAR, None)
    assert len(table.rows) == 2 * len(first & again)  # one row per entity per item (SC-02 and XF-02)
    assert all("被抽中 2 次" in row[2] for row in table.rows)


def test_joint_duties(fixture_year: dict[str, Any]) -> None:
    rows = rows_by(statistics.joint_duties(YEAR))
    assert rows["洛阳市偃师区市场监督管理局"][2:4] == [1, 0]
    assert rows["洛阳市偃师区消防救援大队"][2:4] == [0, 1]
    others = [
        row
        for name, row in rows.items()
        if name not in ("洛阳市偃师区市场监督管理局", "洛阳市偃师区消防救援大队")
    ]
    assert others and all(
        row[2:4] == [0, 0] and row[4] != "已完成" for row in others if row[1] != "根据需要发起或参与"
    )


def test_inspector_shares_add_up_to_the_seats(fixture_year: dict[str, Any]) -> None:
    task, n = fixture_year["task"], fixture_year["n"]
    table, pairs = statistics.inspector_fairness(YEAR, None)
    seats = TeamMember.objects.filter(draw__task=task, drawn=True)
    assert sum(row[3] for row in table.rows) == seats.count()
    assert sum(row[4] for row in table.rows) == pytest.approx(seats.count(), abs=0.005 * len(table.rows))
    pool = [line.split("\t") for line in task.draw.pool_tsv.splitlines()]
    scjg_pool = [cert for department, cert in pool if department == "SCJG"]
    per_object = seats.filter(department__code="SCJG").count() / n
    rows = {row[0]: row for row in table.rows}
    assert rows[scjg_pool[0]][4] == round(n * per_object / len(scjg_pool), 2)
    assert pairs.rows == []  # one honest draw: no pair is suspicious


def test_a_pair_put_together_too_often_is_flagged(fixture_year: dict[str, Any]) -> None:
    task = fixture_year["task"]
    seats = TeamMember.objects.filter(draw__task=task, drawn=True)
    a = seats.filter(department__code="SCJG").first().inspector
    b = seats.filter(department__code="XFJY").first().inspector
    rigged = 0
    for selection_id in DrawSelection.objects.filter(draw__task=task).values_list("pk", flat=True)[:8]:
        TeamMember.objects.filter(selection_id=selection_id, department__code="SCJG", position=1).update(
            inspector=a
        )
        TeamMember.objects.filter(selection_id=selection_id, department__code="XFJY", position=1).update(
            inspector=b
        )
        rigged += 1
    _, pairs = statistics.inspector_fairness(YEAR, None)
    flagged = {(row[0], row[1]): row[2] for row in pairs.rows}
    key = tuple(sorted([a.cert_no, b.cert_no]))
    names = {a.cert_no: a.name, b.cert_no: b.name}
    assert flagged[(f"{names[key[0]]}（{key[0]}）", f"{names[key[1]]}（{key[1]}）")] >= rigged
    assert len(flagged) <= 3  # the rigged pair (and pairs it dragged along), not a list of noise


def test_draw_frequency_matches_the_committed_quotas(fixture_year: dict[str, Any]) -> None:
    task = fixture_year["task"]
    table = statistics.draw_frequency(YEAR, None)
    strata = committed_strata(task.draw)
    sampled = Counter(DrawSelection.objects.filter(draw__task=task).values_list("stratum", flat=True))
    assert [row[1:4] for row in table.rows] == [[s.name, s.size, sampled.get(s.label, 0)] for s in strata]


def test_summary_reports_and_the_upstream_export(
    fixture_year: dict[str, Any], client: Any, cast: Any
) -> None:
    from docx import Document
    from openpyxl import load_workbook

    sign_in(client, cast["lxb.oversight"])
    response = client.get(reverse("oversight:summary", args=["docx"]) + f"?year={YEAR}")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"全区{YEAR}年度“双随机、一公开”监管工作总结" in text
    assert "已公示检查结果 4 项，发现问题 1 项，问题发现率 25.0%" in text
    assert any(
        name.startswith("word/media/") for name in zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    )
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("oversight:summary", args=["xlsx"]) + f"?year={YEAR}").content)
    )
    sheet = workbook["检查结果分布(按结果)"]
    assert [c.value for c in sheet[2]] == ["1. 未发现问题", 3, 75]
    assert sheet._charts  # a native Excel chart, editable
    rows = reports.upstream_rows(YEAR, None)
    assert len(rows) == 4 and {r[11] for r in rows} == {1, 5}
    upstream = load_workbook(
        io.BytesIO(b"".join(client.get(reverse("oversight:upstream") + f"?year={YEAR}").streaming_content))
    )
    assert [c.value for c in upstream.active[1]] == list(reports.UPSTREAM_HEADERS)
    assert upstream.active.max_row == 5


def test_dashboard_page_and_exports(fixture_year: dict[str, Any], client: Any, cast: Any) -> None:
    sign_in(client, cast["xfjy.leader"])
    page = client.get(reverse("oversight:dashboard") + f"?year={YEAR}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "各部门任务进度" in body and "洛阳市偃师区市场监督管理局" not in body.split("各计划任务进度")[0]
    csv = client.get(
        reverse("oversight:table_export", args=["progress_departments", "csv"]) + f"?year={YEAR}"
    )
    assert csv.content.startswith(b"\xef\xbb\xbf") and "消防救援大队" in csv.content.decode("utf-8-sig")
    other = client.get(reverse("oversight:dashboard") + "?department=1")
    assert other.status_code == 404  # a leader cannot pick another department


def test_the_shared_scans_give_each_table_what_it_computes_alone(fixture_year: dict[str, Any]) -> None:
    tables = {t.key: t for t in statistics.compute_dashboard(YEAR, None, TODAY)}
    assert tables["progress_departments"].rows == statistics.progress_by_department(YEAR, None, TODAY).rows
    assert tables["progress_plans"].rows == statistics.progress_by_plan(YEAR, None, TODAY).rows
    for dimension in statistics.DIMENSIONS:
        alone = statistics.results_by(YEAR, None, dimension)
        assert tables[alone.key].rows == alone.rows
    # the distributions all count the same results
    totals = {key: sum(row[1] for row in tables[key].rows) for key in tables if key.startswith("results_")}
    assert set(totals.values()) == {4}


def test_scoped_coverage_and_never_inspected_count_listed_and_jurisdiction_entities(
    fixture_year: dict[str, Any], cast: Any
) -> None:
    ids = visible_department_ids(cast["xfjy.leader"])
    assert ids is not None and cast["xfjy.leader"].department_id in ids
    # r1, inspected this year, listed in the fire brigade's directory: the draw's server nonce is random, so the
    # entities it picked may all lie outside the brigade's scope (CI saw it: 0 inspected in scope)
    DirectoryListing.objects.get_or_create(
        entity_id=fixture_year["r1"].entity_id, department_id=cast["xfjy.leader"].department_id
    )
    active = Entity.objects.filter(status=Status.ACTIVE)
    in_scope = set(active.filter(jurisdiction_id__in=ids).values_list("pk", flat=True)) | set(
        DirectoryListing.objects.filter(department_id__in=ids, entity__status=Status.ACTIVE).values_list(
            "entity_id", flat=True
        )
    )
    inspected = set(
        InspectionRecord.objects.filter(inspected_from__isnull=False).values_list("entity_id", flat=True)
    )
    this_year = set(
        InspectionRecord.objects.filter(inspected_from__isnull=False, task__plan__year=YEAR).values_list(
            "entity_id", flat=True
        )
    )
    table = statistics.coverage(YEAR, ids)
    assert sum(row[1] for row in table.rows) == len(in_scope)
    assert sum(row[2] for row in table.rows) == len(in_scope & this_year) > 0
    never = statistics.never_inspected(ids, limit=5)
    assert never.note.startswith(f"共 {len(in_scope - inspected)} 户")
    assert len(never.rows) == min(5, len(in_scope - inspected))
    everyone = statistics.never_inspected(None, limit=10**6)
    assert len(everyone.rows) == active.exclude(pk__in=inspected).count()


def test_pool_members_never_seated_keep_their_name_and_department(fixture_year: dict[str, Any]) -> None:
    table, _pairs = statistics.inspector_fairness(YEAR, None)
    assert table.rows and all(row[1] and row[2] for row in table.rows)
    # every pool member is listed, seated or not
    pool = {line.split("\t")[1] for line in fixture_year["task"].draw.pool_tsv.splitlines()}
    assert {row[0] for row in table.rows} == pool


def test_the_page_reads_a_snapshot_and_the_worker_computes_the_next(
    fixture_year: dict[str, Any], cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from shuangsuiji.core.jobs import run_job
    from shuangsuiji.core.models import Job
    from shuangsuiji.oversight.models import DashboardSnapshot

    who = cast["lxb.oversight"]
    # no snapshot, a small year: computed while the page waits, and kept
    first = statistics.dashboard_for_page(YEAR, None, TODAY, user=who)
    assert isinstance(first, statistics.Dashboard) and first.refreshing is None
    assert DashboardSnapshot.objects.filter(year=YEAR, scope="all").count() == 1
    # the figures change; a fresh snapshot is still what the page shows (and the exports read)
    r4 = list(fixture_year["task"].records.order_by("selection__rank"))[3]
    InspectionRecord.objects.filter(pk=r4.pk).update(results_due=TODAY - timedelta(days=3))
    again = statistics.dashboard_for_page(YEAR, None, TODAY, user=who)
    assert isinstance(again, statistics.Dashboard) and again.refreshing is None
    assert again.computed_at == first.computed_at and again.tables[0].rows == first.tables[0].rows
    assert statistics.dashboard(YEAR, None, TODAY)[0].rows == first.tables[0].rows
    # older than FRESH_SECONDS: shown as it is, with one refresh job queued however many look
    DashboardSnapshot.objects.update(
        computed_at=first.computed_at - timedelta(seconds=statistics.FRESH_SECONDS + 1)
    )
    stale = statistics.dashboard_for_page(YEAR, None, TODAY, user=who)
    assert isinstance(stale, statistics.Dashboard) and stale.tables[0].rows == first.tables[0].rows
    job = stale.refreshing
    assert job is not None and job.state == Job.State.QUEUED
    other = statistics.dashboard_for_page(YEAR, None, TODAY, user=cast["scjg.leader"])
    assert isinstance(other, statistics.Dashboard) and other.refreshing == job
    assert Job.objects.filter(kind=statistics.REFRESH_KIND).count() == 1
    # the worker runs it: the next view has the new figures
    run_job.call(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result_url.startswith(reverse("oversight:dashboard"))
    fresh = statistics.dashboard_for_page(YEAR, None, TODAY, user=who)
    assert isinstance(fresh, statistics.Dashboard) and fresh.refreshing is None
    assert fresh.computed_at > first.computed_at
    overdue = {row[0]: row[7] for row in fresh.tables[0].rows}
    assert overdue == {row[0]: row[7] + 1 for row in first.tables[0].rows}
    # a new day makes a snapshot stale whatever its age (the overdue counts depend on the day)
    tomorrow = statistics.dashboard_for_page(YEAR, None, TODAY + timedelta(days=1), user=who)
    assert isinstance(tomorrow, statistics.Dashboard) and tomorrow.refreshing is not None
    # another scope is another snapshot
    ids = visible_department_ids(cast["xfjy.leader"])
    scoped = statistics.dashboard(YEAR, ids, TODAY)
    assert [row[0] for row in scoped[0].rows] == ["洛阳市偃师区消防救援大队"]
    assert DashboardSnapshot.objects.filter(year=YEAR).count() == 2


def test_a_big_year_is_first_computed_by_the_worker(
    fixture_year: dict[str, Any], cast: Any, client: Any, settings: Any
) -> None:
    from shuangsuiji.core.models import Job
    from shuangsuiji.oversight.models import DashboardSnapshot

    settings.SHUANGSUIJI_BACKGROUND_THRESHOLD = 2  # the fixture year has more records than that
    sign_in(client, cast["lxb.oversight"])
    page = client.get(reverse("oversight:dashboard") + f"?year={YEAR}")
    body = page.content.decode()
    assert page.status_code == 200 and "正在后台首次计算" in body and "各部门任务进度" not in body
    job = Job.objects.get(kind=statistics.REFRESH_KIND)
    assert job.params == {
        "year": YEAR,
        "ids": None,
        "today": timezone.localdate().isoformat(),
        "query": f"year={YEAR}",
    }
    assert reverse("core:job", args=[job.pk]) in body and not DashboardSnapshot.objects.exists()
    # looking again does not queue a second job; a job lost by a stopped worker is replaced
    client.get(reverse("oversight:dashboard") + f"?year={YEAR}")
    assert Job.objects.filter(kind=statistics.REFRESH_KIND).count() == 1
    Job.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timedelta(seconds=statistics.STUCK_SECONDS + 1)
    )
    client.get(reverse("oversight:dashboard") + f"?year={YEAR}")
    assert Job.objects.filter(kind=statistics.REFRESH_KIND).count() == 2


def test_the_refresh_button_queues_a_job_and_leads_to_its_progress(
    fixture_year: dict[str, Any], cast: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from shuangsuiji.core.models import Job

    sign_in(client, cast["xfjy.leader"])
    page = client.get(reverse("oversight:dashboard") + f"?year={YEAR}")
    assert "统计数据截至" in page.content.decode() and "立即更新统计数据" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("oversight:refresh") + f"?year={YEAR}")
    job = Job.objects.get(kind=statistics.REFRESH_KIND)
    assert response.status_code == 302 and response["Location"] == reverse("core:job", args=[job.pk])
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED  # the (immediate) worker ran it on commit
    assert job.params["ids"] == sorted(visible_department_ids(cast["xfjy.leader"]) or [])
    assert client.get(job.result_url).status_code == 200


def test_a_year_without_records_gives_empty_tables() -> None:
    tables = statistics.compute_dashboard(2001, None, date(2001, 12, 1))
    empty = {t.key for t in tables if not t.rows}
    assert {"progress_departments", "progress_plans", "results_code", "strata", "over", "pairs"} <= empty


def test_poisson_tail_against_values_computed_by_hand() -> None:
    # P(X ≥ 3), mean 1: 1 − e^-1 (1 + 1 + 1/2)
    assert statistics.poisson_tail(3, 1.0) == pytest.approx(1 - math.exp(-1) * 2.5, rel=1e-12)
    # P(X ≥ 1), mean 0.5: 1 − e^-0.5
    assert statistics.poisson_tail(1, 0.5) == pytest.approx(1 - math.exp(-0.5), rel=1e-12)
    # far in the tail, where the complement would round to 0: P(X ≥ 40), mean 1 ≈ e^-1/40! (1 + 1/41 + …)
    assert statistics.poisson_tail(40, 1.0) == pytest.approx(
        math.exp(-1) / math.factorial(40) * 1.025, rel=1e-3
    )
    assert statistics.poisson_tail(0, 3.0) == 1.0 and statistics.poisson_tail(2, 0.0) == 0.0
    # below a large mean the tail is nearly 1, not an underflowed 0
    assert statistics.poisson_tail(3, 1000.0) == pytest.approx(1.0)


def test_random_draws_alone_flag_no_pair(fixture_year: dict[str, Any]) -> None:
    _, pairs = statistics.inspector_fairness(YEAR, None)
    # the fixture's teams are as the lottery drew them; no pair sits together 3 times in so small a year, so this
    # only shows nothing is invented — the rule itself is tested on 44,850 random pairs below
    assert pairs.rows == []


def test_the_pair_rule_is_corrected_for_the_number_of_pairs() -> None:
    """300 pool members (44,850 pairs), each pair expected together 0.5 times, counts drawn at random:
    the rule lists none, where a per-pair rule (mean + 3 standard deviations, at least 3) lists hundreds;
    a pair put together 12 times is listed."""
    rng = random.Random(20261201)

    def poisson(mean: float) -> int:  # Knuth
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1

    members, mean = 300, 0.5
    counts = [poisson(mean) for _ in range(members * (members - 1) // 2)]
    assert sum(statistics.pair_is_flagged(n, mean, members) for n in counts) == 0
    assert sum(n >= 3 and n > mean + 3 * math.sqrt(mean) for n in counts) > 300
    assert statistics.pair_is_flagged(12, mean, members)
    assert not statistics.pair_is_flagged(2, 0.0001, members)  # never on fewer than 3
