"""The printable 检查情况记录表: A4 PDF (WeasyPrint, Noto CJK embedded) and DOCX, filled or blank,
laid out like 004 附件2 (and like 000's annex for fire-product tasks)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string

from shuangsuiji.catalog.models import ResultCodeSet
from shuangsuiji.draws.models import TeamMember
from shuangsuiji.inspections.models import InspectionRecord, Result

FIRE_PRODUCT_SET = "fire-product"


@dataclass
class FormData:
    title: str
    fire: bool
    codes: list[tuple[int, str]]
    inspectors: list[dict[str, str]] = field(default_factory=list)
    entity: dict[str, str] = field(default_factory=dict)
    # one row per department, each with its items: {"department", "items": [{"name", "code", "finding"}]}
    departments: list[dict[str, Any]] = field(default_factory=list)
    opinion: str = ""
    remarks: str = ""
    signature: str = ""
    dates: str = ""
    number: str = ""
    blank: bool = False


def _codes(code_set: ResultCodeSet) -> list[tuple[int, str]]:
    return [(c.number, c.label) for c in code_set.codes.order_by("number")]


def _title(fire: bool) -> str:
    return "消防产品质量监督“双随机、一公开”联合执法检查表" if fire else "市场监管领域部门联合抽查情况记录表"


def _date_cn(value: Any) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def record_form(record: InspectionRecord) -> FormData:
    task = record.task
    code_set = task.result_code_set
    fire = code_set.code == FIRE_PRODUCT_SET
    entity = record.entity
    form = FormData(title=_title(fire), fire=fire, codes=_codes(code_set), number=record.number)
    members = TeamMember.objects.filter(selection_id=record.selection_id, active=True).select_related(
        "inspector", "department"
    )
    form.inspectors = [
        {
            "name": m.inspector.name + ("（组长）" if m.leader else ""),
            "unit": m.department.short_name or m.department.name,
            "cert": m.inspector.cert_no,
        }
        for m in sorted(members, key=lambda m: (not m.leader, m.department.code, m.position))
    ]
    form.entity = {
        "name": entity.name,
        "code": entity.uscc or entity.reg_no or "",
        "representative": entity.legal_representative,
        "address": entity.address,
    }
    results = (
        Result.objects.filter(part__record=record, current=True)
        .select_related("part__department", "item", "code")
        .order_by("part__department__path", "item__code")
    )
    by_department: dict[int, dict[str, Any]] = {}
    for result in results:
        department = result.part.department
        entry = by_department.setdefault(
            department.pk, {"department": department.short_name or department.name, "items": []}
        )
        entry["items"].append(
            {
                "name": result.item.name,
                "code": str(result.code.number) if result.code else "",
                "finding": result.finding,
                "version": result.version,
            }
        )
    form.departments = list(by_department.values())
    parts = list(record.parts.select_related("department"))
    multi = len(parts) > 1
    form.opinion = "\n".join(
        (f"{p.department.short_name or p.department.name}：" if multi else "") + p.opinion
        for p in parts
        if p.opinion
    )
    form.remarks = "\n".join(
        (f"{p.department.short_name or p.department.name}：" if multi else "") + p.remarks
        for p in parts
        if p.remarks
    )
    if record.signature != InspectionRecord.Signature.PENDING:
        form.signature = record.get_signature_display() + (
            f"：{record.signature_note}" if record.signature_note else ""
        )
    if record.inspected_from:
        form.dates = _date_cn(record.inspected_from)
        if record.inspected_to and record.inspected_to != record.inspected_from:
            form.dates += f" 至 {_date_cn(record.inspected_to)}"
    return form


def blank_form(code_set: ResultCodeSet) -> FormData:
    fire = code_set.code == FIRE_PRODUCT_SET
    form = FormData(title=_title(fire), fire=fire, codes=_codes(code_set), blank=True)
    form.inspectors = [{"name": "", "unit": "", "cert": ""} for _ in range(4)]
    if fire:
        form.departments = [
            {
                "department": "市场监督管理局",
                "items": [{"name": "营业执照登记事项检查", "code": "", "finding": ""}],
            },
            {
                "department": "区消防救援大队",
                "items": [{"name": "对使用领域的消防产品质量监督抽查", "code": "", "finding": ""}],
            },
        ]
    else:
        form.departments = [
            {"department": "**部门", "items": [{"name": "**事项检查", "code": "", "finding": ""}] * 2}
        ] * 3
    return form


def render_pdf(forms: list[FormData]) -> bytes:
    from weasyprint import HTML  # imported late: it loads fonts and takes a moment

    html = render_to_string("inspections/record_print.html", {"forms": forms})
    return bytes(HTML(string=html).write_pdf())


def render_docx(form: FormData) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(form.title)
    run.bold, run.font.size = True, Pt(16)
    if form.number or form.dates or form.fire:
        document.add_paragraph(
            (f"编号：{form.number}    " if form.number else "")
            + f"检查时间：{form.dates or '    年   月   日'}"
        )

    table = document.add_table(rows=0, cols=4)
    table.style = "Table Grid"

    def row(*cells: str) -> Any:
        cells_ = table.add_row().cells
        for cell, text in zip(cells_, cells, strict=True):
            cell.text = text
        return cells_

    row("执法检查人员", "姓名", "单位", "执法证号/身份证号")
    for inspector in form.inspectors:
        row("", inspector["name"], inspector["unit"], inspector["cert"])
    row("检查对象", "名称", form.entity.get("name", ""), "")
    row("", "统一社会信用代码/注册号", form.entity.get("code", ""), "")
    row("", "法定代表人/负责人", form.entity.get("representative", ""), "")
    row("", "地址", form.entity.get("address", ""), "")
    row("检查单位", "检查事项", "发现问题", "检查结果")
    for department in form.departments:
        for index, item in enumerate(department["items"]):
            row(department["department"] if index == 0 else "", item["name"], item["finding"], item["code"])
    row("处理意见", form.opinion, "", "")
    row("备注", form.remarks, "", "")
    document.add_paragraph("")
    document.add_paragraph("检查对象（签字/盖章）：" + (form.signature or "") + "                年  月  日")
    document.add_paragraph("执法检查人员（签字/盖章）：                年  月  日")
    codes = "；".join(f"{number}. {label}" for number, label in form.codes)
    document.add_paragraph(f"说明：（1）检查结果栏填写相应编号：{codes}。")
    if not form.fire:
        document.add_paragraph("（2）备注栏可填写检查过程中责令停止违法与督促整改等相关情况。")
    else:
        document.add_paragraph("此检查表一式三份，被检查单位、区消防救援大队、市场监督管理局各一份。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
