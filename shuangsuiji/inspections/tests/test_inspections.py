"""Inspection records, results, deadlines, publication, corrections, follow-ups, documents, archive."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import sign_in
from shuangsuiji.catalog.models import ResultCode
from shuangsuiji.core import calendar as core_calendar
from shuangsuiji.draws import services as draws
from shuangsuiji.draws.models import DrawSelection, TeamMember
from shuangsuiji.draws.tests.test_ceremony import make_joint_task
from shuangsuiji.inspections import archive, documents, selectors, services
from shuangsuiji.inspections.models import Correction, FollowUp, InspectionRecord, RecordPart, Result
from shuangsuiji.inspections.services import ResultInput

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
DEMO_JOINT = "消防产品使用及营业执照登记事项联合检查"


def dispatched(cast: Any) -> Any:
    """A SCJG-led joint task (SC-02 for SCJG, XF-02 for XFJY, code set 004 附件2), drawn and dispatched."""
    task = make_joint_task(cast)
    draw = draws.draw_commit(actor=cast["scjg.manager"], task=task)
    draw = draws.draw_execute(actor=cast["scjg.manager"], draw=draw, ceremony_entropy="inspections")
    draws.draw_dispatch(actor=cast["scjg.manager"], draw=draw)
    task.refresh_from_db()
    return task


def code(task: Any, number: int) -> ResultCode:
    return ResultCode.objects.get(code_set=task.result_code_set, number=number)


def part_of(record: InspectionRecord, department_code: str) -> RecordPart:
    return record.parts.get(department__code=department_code)


def join_team(user: Any, part: RecordPart) -> None:
    """Put the user's inspector into the team of this part's department (as the lottery might have)."""
    seat = TeamMember.objects.filter(
        selection_id=part.record.selection_id, department_id=part.department_id, active=True
    ).first()
    assert seat is not None
    # the lottery may already have put this inspector on the team: keep that seat, drop the others
    TeamMember.objects.filter(inspector=user.inspector).exclude(pk=seat.pk).delete()
    seat.inspector = user.inspector
    seat.save(update_fields=["inspector"])


def enter(
    actor: Any, part: RecordPart, number: int, *, submit: bool = True, day: date = date(2026, 9, 30)
) -> None:
    task = part.record.task
    services.part_save(
        actor=actor,
        part=part,
        inspected_from=day,
        inspected_to=day,
        methods=["onsite"],
        results={r.item_id: ResultInput(code(task, number), "") for r in part.results.filter(current=True)},
        opinion="责令整改",
        remarks="",
        submit=submit,
    )


def completed(cast: Any, number: int = 1) -> InspectionRecord:
    task = dispatched(cast)
    record = task.records.order_by("selection__rank").first()
    enter(cast["scjg.manager"], part_of(record, "SCJG"), number)
    enter(cast["xfjy.manager"], part_of(record, "XFJY"), number)
    record.refresh_from_db()
    return record


# --- opening records --------------------------------------------------------------------------------


def test_dispatch_opens_one_record_per_drawn_entity_with_a_part_per_department(cast: Any) -> None:
    task = dispatched(cast)
    selections = DrawSelection.objects.filter(draw__task=task).count()
    assert selections > 0
    assert task.records.count() == selections
    record = task.records.first()
    assert sorted(record.parts.values_list("department__code", flat=True)) == ["SCJG", "XFJY"]
    assert sorted(Result.objects.filter(part__record=record).values_list("item__code", flat=True)) == [
        "SC-02",
        "XF-02",
    ]
    assert services.records_open(actor=cast["scjg.manager"], task=task) == 0  # idempotent


def test_results_are_due_twenty_working_days_after_the_task_period_until_dates_are_entered(cast: Any) -> None:
    task = dispatched(cast)  # period ends 2026-10-20 (Tue)
    record = task.records.first()
    assert record.results_due == date(2026, 11, 17)
    enter(cast["scjg.manager"], part_of(record, "SCJG"), 1, submit=False, day=date(2026, 9, 30))
    record.refresh_from_db()
    # 20 working days after 2026-09-30 skip National Day (10-01..10-07) and count the make-up Saturday 10-10.
    assert record.results_due == date(2026, 11, 3)
    assert record.results_due_uncertain is False


def test_entering_a_date_lifts_the_confidentiality_of_that_entity(cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.first()
    assert record.selection.inspection_started_at is None
    enter(cast["scjg.manager"], part_of(record, "SCJG"), 1, submit=False)
    record.selection.refresh_from_db()
    assert record.selection.inspection_started_at is not None


# --- who enters what ----------------------------------------------------------------------------------


def test_only_the_departments_own_team_or_managers_enter_its_part(cast: Any) -> None:
    task = dispatched(cast)
    inspector = cast["xfjy.inspector"].inspector
    # a record whose team the lottery did not put the demo inspector on (it may have, on some: flaked in CI)
    record = next(
        r
        for r in task.records.order_by("selection__rank")
        if not TeamMember.objects.filter(selection_id=r.selection_id, inspector=inspector).exists()
    )
    scjg, xfjy = part_of(record, "SCJG"), part_of(record, "XFJY")
    assert services.may_enter(cast["scjg.manager"], scjg)
    assert not services.may_enter(cast["scjg.manager"], xfjy)
    assert not services.may_enter(cast["xfjy.inspector"], xfjy)  # not on this entity's team
    join_team(cast["xfjy.inspector"], xfjy)
    assert services.may_enter(cast["xfjy.inspector"], xfjy)
    assert not services.may_enter(cast["xfjy.inspector"], scjg)
    with pytest.raises(ValidationError, match="谁检查、谁录入"):
        enter(cast["xfjy.manager"], scjg, 1)


def test_a_code_from_another_code_set_is_refused_and_nothing_is_saved(cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.first()
    part = part_of(record, "SCJG")
    foreign = ResultCode.objects.get(code_set__code="fire-product", number=2)
    with pytest.raises(ValidationError, match="代码集"):
        services.part_save(
            actor=cast["scjg.manager"],
            part=part,
            inspected_from=date(2026, 9, 1),
            inspected_to=date(2026, 9, 1),
            methods=[],
            results={r.item_id: ResultInput(foreign) for r in part.results.all()},
            submit=True,
        )
    assert not Result.objects.filter(part=part, code__isnull=False).exists()
    record.refresh_from_db()
    assert record.inspected_from is None


def test_submitting_needs_every_result_and_the_dates(cast: Any) -> None:
    task = dispatched(cast)
    part = part_of(task.records.first(), "SCJG")
    with pytest.raises(ValidationError) as error:
        services.part_save(
            actor=cast["scjg.manager"],
            part=part,
            inspected_from=None,
            inspected_to=None,
            methods=[],
            results={},
            submit=True,
        )
    text = " ".join(error.value.messages)
    assert "尚未填写检查结果" in text and "请填写检查日期" in text
    part.refresh_from_db()
    assert part.state == RecordPart.State.PENDING


def test_future_dates_and_reversed_dates_are_refused(cast: Any) -> None:
    task = dispatched(cast)
    part = part_of(task.records.first(), "SCJG")
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        enter(cast["scjg.manager"], part, 1, day=tomorrow)
    with pytest.raises(ValidationError, match="不能晚于检查日期"):
        services.part_save(
            actor=cast["scjg.manager"],
            part=part,
            inspected_from=date(2026, 9, 2),
            inspected_to=date(2026, 9, 1),
            methods=[],
            results={},
        )


def test_unreachable_entity_needs_evidence_and_proposes_the_abnormal_list(cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.first()
    part = part_of(record, "SCJG")
    with pytest.raises(ValidationError, match="须先上传取得的证据"):
        enter(cast["scjg.manager"], part, 4)
    services.evidence_add(
        actor=cast["scjg.manager"],
        record=record,
        upload=io.BytesIO(JPEG),
        size=len(JPEG),
        original_name="门店照片.jpg",
    )
    enter(cast["scjg.manager"], part, 4)
    followup = FollowUp.objects.get(record=record)
    assert followup.kind == FollowUp.Kind.ABNORMAL_LISTING
    assert followup.department.code == "SCJG"
    formed = timezone.localdate()
    assert followup.due == core_calendar.work_calendar().add(formed, 7).date


def test_evidence_is_checked_by_content_and_stored_with_its_checksum(cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.first()
    with pytest.raises(ValidationError, match="只接受"):
        services.evidence_add(
            actor=cast["scjg.manager"],
            record=record,
            upload=io.BytesIO(b"MZ\x90\x00exe"),
            size=6,
            original_name="a.jpg",
        )
    evidence = services.evidence_add(
        actor=cast["scjg.manager"],
        record=record,
        upload=io.BytesIO(JPEG),
        size=len(JPEG),
        original_name="现场.jpg",
    )
    assert evidence.sha256 == hashlib.sha256(JPEG).hexdigest()
    assert evidence.department.code == "SCJG"
    with pytest.raises(ValidationError, match="参与本次检查"):
        services.evidence_add(
            actor=cast["yjj.manager"],
            record=record,
            upload=io.BytesIO(JPEG),
            size=len(JPEG),
            original_name="x.jpg",
        )


# --- completion, signature, publication ---------------------------------------------------------------


def test_the_record_is_complete_only_when_every_department_has_entered(cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.first()
    enter(cast["scjg.manager"], part_of(record, "SCJG"), 1)
    record.refresh_from_db()
    assert record.state == InspectionRecord.State.OPEN
    enter(cast["xfjy.manager"], part_of(record, "XFJY"), 5)
    record.refresh_from_db()
    assert record.state == InspectionRecord.State.COMPLETE
    with pytest.raises(ValidationError, match="退回"):
        enter(cast["xfjy.manager"], part_of(record, "XFJY"), 1)


def test_publication_needs_the_signature_and_the_lead_department(cast: Any) -> None:
    record = completed(cast)
    with pytest.raises(ValidationError, match="签字"):
        services.record_publish(actor=cast["scjg.manager"], record=record)
    with pytest.raises(ValidationError, match="说明"):
        services.signature_set(actor=cast["scjg.manager"], record=record, signature="refused", note=" ")
    with pytest.raises(ValidationError, match="无法联系"):
        services.signature_set(actor=cast["scjg.manager"], record=record, signature="not_applicable")
    services.signature_set(
        actor=cast["scjg.manager"],
        record=record,
        signature="refused",
        note="负责人拒绝签字，检查人员已签字说明",
    )
    with pytest.raises(ValidationError, match="牵头部门"):
        services.record_publish(actor=cast["xfjy.manager"], record=record)
    services.record_publish(actor=cast["scjg.leader"], record=record)
    record.refresh_from_db()
    assert record.state == InspectionRecord.State.PUBLISHED and record.published_at is not None
    with pytest.raises(ValidationError, match="已公示"):
        services.part_reopen(actor=cast["scjg.manager"], part=part_of(record, "SCJG"), reason="改")
    with pytest.raises(ValidationError):
        services.record_publish(actor=cast["scjg.leader"], record=record)


def test_a_department_may_take_back_its_part_before_publication(cast: Any) -> None:
    record = completed(cast)
    part = part_of(record, "XFJY")
    with pytest.raises(ValidationError, match="本部门"):
        services.part_reopen(actor=cast["scjg.manager"], part=part, reason="填错")
    services.part_reopen(actor=cast["xfjy.manager"], part=part, reason="检查事项填错")
    record.refresh_from_db()
    part.refresh_from_db()
    assert record.state == InspectionRecord.State.OPEN and part.state == RecordPart.State.PENDING
    enter(cast["xfjy.manager"], part, 8)
    assert Result.objects.get(part=part).code.number == 8


# --- corrections (004 第二十二条) -----------------------------------------------------------------------


def published(cast: Any) -> InspectionRecord:
    record = completed(cast)
    services.signature_set(actor=cast["scjg.manager"], record=record, signature="signed")
    return services.record_publish(actor=cast["scjg.manager"], record=record)


def test_a_published_result_changes_only_by_a_correction_the_head_approves(cast: Any) -> None:
    record = published(cast)
    result = Result.objects.get(part__record=record, part__department__code="XFJY")
    task = record.task
    with pytest.raises(ValidationError, match="不得擅自改变"):
        enter(cast["xfjy.manager"], part_of(record, "XFJY"), 2)
    with pytest.raises(ValidationError, match="理由"):
        services.correction_request(
            actor=cast["xfjy.manager"], result=result, new_code=code(task, 2), new_finding="", reason=""
        )
    correction = services.correction_request(
        actor=cast["xfjy.manager"],
        result=result,
        new_code=code(task, 2),
        new_finding="",
        reason="复核发现漏填未公示信息",
    )
    result.refresh_from_db()
    assert result.current and result.code.number == 1  # nothing changes before approval
    with pytest.raises(ValidationError, match="主要负责人"):
        services.correction_decide(actor=cast["scjg.leader"], correction=correction, approve=True)
    services.correction_decide(actor=cast["xfjy.leader"], correction=correction, approve=True, note="同意")
    versions = list(Result.objects.filter(part=result.part).order_by("version"))
    assert [(r.version, r.current, r.code.number) for r in versions] == [(1, False, 1), (2, True, 2)]
    correction.refresh_from_db()
    assert correction.state == Correction.State.APPROVED and correction.new_result == versions[1]
    with pytest.raises(ValidationError, match="已处理"):
        services.correction_decide(actor=cast["xfjy.leader"], correction=correction, approve=True)


def test_a_rejected_correction_leaves_the_result_as_published(cast: Any) -> None:
    record = published(cast)
    result = Result.objects.get(part__record=record, part__department__code="SCJG")
    correction = services.correction_request(
        actor=cast["scjg.manager"],
        result=result,
        new_code=code(record.task, 5),
        new_finding="",
        reason="当事人申诉",
    )
    with pytest.raises(ValidationError, match="待审批"):
        services.correction_request(
            actor=cast["scjg.manager"],
            result=result,
            new_code=code(record.task, 8),
            new_finding="",
            reason="再次申请",
        )
    services.correction_decide(
        actor=cast["scjg.leader"], correction=correction, approve=False, note="依据不足"
    )
    assert list(Result.objects.filter(part=result.part).values_list("version", "current")) == [(1, True)]


def test_a_leader_cannot_approve_their_own_correction(cast: Any) -> None:
    record = published(cast)
    result = Result.objects.get(part__record=record, part__department__code="SCJG")
    correction = services.correction_request(
        actor=cast["scjg.leader"],
        result=result,
        new_code=code(record.task, 5),
        new_finding="",
        reason="复核发现错误",
    )
    with pytest.raises(ValidationError, match="申请人不能审批"):
        services.correction_decide(actor=cast["scjg.leader"], correction=correction, approve=True)


# --- follow-ups ---------------------------------------------------------------------------------------


def test_rectification_is_due_for_revisit_after_its_deadline(cast: Any) -> None:
    record = completed(cast, 5)
    rectify_by = timezone.localdate() + timedelta(days=10)
    with pytest.raises(ValidationError, match="整改期限"):
        services.followup_create(
            actor=cast["scjg.manager"], record=record, kind="rectification", detail="整改"
        )
    followup = services.followup_create(
        actor=cast["scjg.manager"],
        record=record,
        kind="rectification",
        detail="限期整改消防通道",
        rectify_by=rectify_by,
    )
    assert followup.due == core_calendar.work_calendar().add(rectify_by, 5).date
    with pytest.raises(ValidationError, match="回访日期"):
        services.followup_close(actor=cast["scjg.manager"], followup=followup, outcome="已整改")
    with pytest.raises(ValidationError, match="回访应在整改期限"):
        services.followup_close(
            actor=cast["scjg.manager"],
            followup=followup,
            outcome="已整改",
            revisit_on=rectify_by - timedelta(days=1),
            rectified=True,
        )
    with pytest.raises(ValidationError, match="承办人"):
        services.followup_close(actor=cast["xfjy.manager"], followup=followup, outcome="x", cancel=True)
    FollowUp.objects.filter(pk=followup.pk).update(rectify_by=timezone.localdate() - timedelta(days=2))
    followup.refresh_from_db()
    services.followup_close(
        actor=cast["scjg.manager"],
        followup=followup,
        outcome="复查已整改",
        revisit_on=timezone.localdate(),
        rectified=True,
    )
    followup.refresh_from_db()
    assert followup.state == FollowUp.State.DONE and followup.rectified is True


def test_a_transfer_is_due_seven_working_days_after_the_result_and_names_its_receiver(cast: Any) -> None:
    record = completed(cast, 8)
    followup = services.followup_create(
        actor=cast["xfjy.manager"], record=record, kind="transfer", detail="移送区应急管理局"
    )
    entered = timezone.localtime(part_of(record, "XFJY").entered_at).date()
    assert followup.due == core_calendar.work_calendar().add(entered, 7).date
    assert followup.department.code == "XFJY"
    with pytest.raises(ValidationError, match="接收移送的机关"):
        services.followup_close(actor=cast["xfjy.manager"], followup=followup, outcome="已移送")
    services.followup_close(
        actor=cast["xfjy.manager"],
        followup=followup,
        outcome="已移送",
        receiver="偃师区应急管理局",
        document_no="偃消移〔2026〕3号",
    )
    with pytest.raises(ValidationError, match="已办结"):
        services.followup_close(actor=cast["xfjy.manager"], followup=followup, outcome="again", receiver="x")


# --- due lists --------------------------------------------------------------------------------------


def test_due_lists_show_overdue_first_for_the_team_member_and_the_department(cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.order_by("selection__rank").first()
    join_team(cast["xfjy.inspector"], part_of(record, "XFJY"))
    mine = selectors.due_rows(cast["xfjy.inspector"], today=date(2026, 11, 18))
    assert [r.url for r in mine] == [reverse("inspections:record", args=[record.pk])]
    assert mine[0].mine and mine[0].status.state == "overdue" and mine[0].status.overdue_by == 1
    soon = selectors.due_rows(cast["xfjy.inspector"], today=date(2026, 11, 13))
    assert soon[0].status.state == "due_soon" and soon[0].status.remaining == 2
    department = selectors.due_rows(cast["xfjy.manager"], today=date(2026, 11, 18))
    assert {r.url for r in department} >= {
        reverse("inspections:record", args=[r.pk]) for r in task.records.all()
    }
    assert all(
        r.status.state == "overdue"
        for r in department
        if r.what == "结果录入" and r.subject.startswith(task.ref)
    )
    # the emergency bureau has no part in this task: none of its records reach that manager's list
    outsider = selectors.due_rows(cast["yjj.manager"], today=date(2026, 11, 18))
    assert not [r for r in outsider if r.subject.startswith(task.ref)]
    counts = selectors.due_counts(mine)
    assert counts == {"overdue": 1, "soon": 0, "later": 0}


def test_a_change_to_the_working_day_table_moves_open_deadlines(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    task = dispatched(cast)
    record = task.records.first()
    assert record.results_due == date(2026, 11, 17)
    with django_capture_on_commit_callbacks(execute=True):
        core_calendar.workday_override_set(
            actor=cast["scjg.sysadmin"], day=date(2026, 11, 16), workday=False, note="测试"
        )
    record.refresh_from_db()
    assert record.results_due == date(2026, 11, 18)


def test_a_refresh_recomputes_follow_up_deadlines_by_the_rule_they_were_set_with(cast: Any) -> None:
    record = completed(cast, 8)
    rectify_by = timezone.localdate() + timedelta(days=10)
    transfer = services.followup_create(
        actor=cast["xfjy.manager"], record=record, kind="transfer", detail="移送区应急管理局"
    )
    revisit = services.followup_create(
        actor=cast["scjg.manager"], record=record, kind="rectification", detail="整改", rectify_by=rectify_by
    )
    set_with = {f.pk: f.due for f in (transfer, revisit)}
    FollowUp.objects.filter(pk__in=set_with).update(due=date(2020, 1, 1))
    # and a record's stored deadline gone stale
    other = completed(cast, 9)
    right = other.results_due
    InspectionRecord.objects.filter(pk=other.pk).update(results_due=date(2020, 1, 1))
    assert services.deadlines_refresh() >= 3
    assert {f.pk: f.due for f in FollowUp.objects.filter(pk__in=set_with)} == set_with
    other.refresh_from_db()
    assert other.results_due == right
    assert services.deadlines_refresh() == 0  # nothing left to move


def test_a_deadline_beyond_the_published_calendar_is_flagged_not_refused(cast: Any) -> None:
    task = dispatched(cast)
    type(task).objects.filter(pk=task.pk).update(period_end=date(2031, 12, 1))
    services.deadlines_refresh()
    record = task.records.first()
    record.refresh_from_db()
    assert record.results_due_uncertain is True
    assert record.results_due > date(2031, 12, 1)


# --- documents and archive --------------------------------------------------------------------------


def _pdf_text(data: bytes, tmp_path: Any) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed (CI installs it)")
def test_the_record_pdf_shows_the_form_in_chinese(cast: Any, tmp_path: Any) -> None:
    record = completed(cast, 5)
    data = documents.render_pdf([documents.record_form(record)])
    assert data.startswith(b"%PDF")
    text = _pdf_text(data, tmp_path).replace(" ", "")
    assert "市场监管领域部门联合抽查情况记录表" in text
    assert record.entity.name.replace(" ", "") in text
    assert "发现问题已责令整改" in text and "执法检查人员" in text
    blank = _pdf_text(
        documents.render_pdf(
            [documents.blank_form(ResultCode.objects.get(code_set__code="fire-product", number=1).code_set)]
        ),
        tmp_path,
    )
    assert "消防产品质量监督" in blank.replace(" ", "")


def test_the_record_docx_holds_the_same_fields(cast: Any) -> None:
    from docx import Document

    record = completed(cast, 5)
    document = Document(io.BytesIO(documents.render_docx(documents.record_form(record))))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert record.entity.name in cells
    assert (record.entity.uscc or record.entity.reg_no) in cells
    assert "5" in cells  # the code of each department × item
    assert "市场监管领域部门联合抽查情况记录表" in document.paragraphs[0].text


def test_the_archive_holds_bundle_records_evidence_events_and_a_true_manifest(cast: Any) -> None:
    record = published(cast)
    services.evidence_add(
        actor=cast["scjg.manager"],
        record=record,
        upload=io.BytesIO(JPEG),
        size=len(JPEG),
        original_name="现场/照片.jpg",
    )
    out = io.BytesIO()
    archive.archive_write(record.task, out)
    zf = zipfile.ZipFile(out)
    names = set(zf.namelist())
    assert "draw/bundle.zip" in names and "audit/events.jsonl" in names and "MANIFEST.sha256" in names
    pdfs = [n for n in names if n.endswith("检查情况记录表.pdf")]
    assert len(pdfs) == record.task.records.count()
    evidence = [n for n in names if "/证据/" in n]
    assert len(evidence) == 1 and zf.read(evidence[0]) == JPEG
    manifest = dict(line.split("  ", 1)[::-1] for line in zf.read("MANIFEST.sha256").decode().splitlines())
    assert set(manifest) == names - {"MANIFEST.sha256"}
    for name, digest in manifest.items():
        assert hashlib.sha256(zf.read(name)).hexdigest() == digest, name
    actions = [json.loads(line)["action"] for line in zf.read("audit/events.jsonl").decode().splitlines()]
    assert (
        "draw.dispatch" in actions
        and "inspections.publish" in actions
        and "inspections.evidence_add" in actions
    )


def test_the_archive_refuses_evidence_altered_on_disk(cast: Any) -> None:
    from django.core.files.storage import default_storage

    record = completed(cast)
    evidence = services.evidence_add(
        actor=cast["scjg.manager"],
        record=record,
        upload=io.BytesIO(JPEG),
        size=len(JPEG),
        original_name="a.jpg",
    )
    with open(default_storage.path(evidence.file.name), "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ValueError, match="校验值"):
        archive.archive_write(record.task, io.BytesIO())


# --- pages --------------------------------------------------------------------------------------------


def test_an_inspector_enters_results_through_the_page(client: Any, cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.first()
    part = part_of(record, "XFJY")
    inspector = cast["xfjy.inspector"]
    outsider = task.records.exclude(pk=record.pk).first()
    join_team(inspector, part)
    sign_in(client, inspector)
    page = client.get(reverse("inspections:record", args=[record.pk]))
    assert page.status_code == 200 and record.entity.name in page.content.decode()
    if outsider is not None:  # another entity of the same task stays hidden from this inspector
        assert client.get(reverse("inspections:record", args=[outsider.pk])).status_code == 404
    url = reverse("inspections:part_edit", args=[record.pk, part.pk])
    result = part.results.get()
    response = client.post(
        url,
        {
            "inspected_from": "2026-09-30",
            "inspected_to": "2026-09-30",
            "methods": ["onsite"],
            f"code_{result.item_id}": str(code(task, 8).pk),
            f"finding_{result.item_id}": "灭火器压力不足",
            "opinion": "责令限期改正",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    result.refresh_from_db()
    part.refresh_from_db()
    assert result.code.number == 8 and result.finding == "灭火器压力不足"
    assert part.state == RecordPart.State.ENTERED and part.entered_by == inspector
    scjg_part = part_of(record, "SCJG")
    assert client.get(reverse("inspections:part_edit", args=[record.pk, scjg_part.pk])).status_code == 404


def test_page_errors_are_shown_in_chinese_and_keep_what_was_typed(client: Any, cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.first()
    part = part_of(record, "SCJG")
    sign_in(client, cast["scjg.manager"])
    response = client.post(
        reverse("inspections:part_edit", args=[record.pk, part.pk]),
        {"inspected_from": "2026-09-30", "opinion": "草稿意见", "submit": "1"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "尚未填写检查结果" in body and "草稿意见" in body


def test_home_page_shows_the_overdue_entries_in_red(client: Any, cast: Any) -> None:
    task = dispatched(cast)
    today = timezone.localdate()
    InspectionRecord.objects.exclude(state=InspectionRecord.State.PUBLISHED).update(
        results_due=today + timedelta(days=60)
    )
    sign_in(client, cast["scjg.manager"])
    body = client.get(reverse("core:home")).content.decode()
    assert "待办与期限" in body and '已逾期 <b class="due overdue">0</b>' in body
    assert '<span class="due overdue">' not in body
    record = task.records.order_by("selection__rank").first()
    yesterday = today - timedelta(days=1)
    InspectionRecord.objects.filter(pk=record.pk).update(results_due=yesterday)
    body = client.get(reverse("core:home")).content.decode()
    assert '已逾期 <b class="due overdue">1</b>' in body
    assert f'<span class="due overdue">{yesterday:%Y-%m-%d}' in body and task.ref in body


def test_the_task_page_filters_by_state_and_pages(client: Any, cast: Any) -> None:
    task = dispatched(cast)
    record = task.records.order_by("selection__rank").first()
    enter(cast["scjg.manager"], part_of(record, "SCJG"), 1)
    enter(cast["xfjy.manager"], part_of(record, "XFJY"), 1)
    sign_in(client, cast["scjg.manager"])
    url = reverse("inspections:task_records", args=[task.pk])
    complete = client.get(url + "?state=complete").content.decode()
    assert record.entity.name in complete
    # (the demo county repeats names: another entity may carry this one's name)
    others = task.records.exclude(pk=record.pk).exclude(entity__name=record.entity.name)
    assert not [r.entity.name for r in others if r.entity.name in complete]
    everything = client.get(url).content.decode()
    assert everything.count('href="/staff/inspections/records/') == min(task.records.count(), 50)
