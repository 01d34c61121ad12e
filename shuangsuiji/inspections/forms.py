from __future__ import annotations

from typing import Any

from django import forms

from shuangsuiji.catalog.models import Method, ResultCode
from shuangsuiji.inspections.models import FollowUp, InspectionRecord, RecordPart, Result


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PartForm(forms.Form):
    """One department's part: the record's dates and methods, and a result for each of its items."""

    inspected_from = forms.DateField(label="检查日期（起）", required=False, widget=DateInput())
    inspected_to = forms.DateField(label="检查日期（止）", required=False, widget=DateInput())
    methods = forms.MultipleChoiceField(
        label="检查方式", choices=Method.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    opinion = forms.CharField(
        label="处理意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    remarks = forms.CharField(
        label="备注",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="可填写检查过程中责令停止违法与督促整改等相关情况。",
    )

    def __init__(self, *args: Any, part: RecordPart, codes: list[ResultCode], **kwargs: Any) -> None:
        record = part.record
        kwargs.setdefault(
            "initial",
            {
                "inspected_from": record.inspected_from,
                "inspected_to": record.inspected_to,
                "methods": record.methods,
                "opinion": part.opinion,
                "remarks": part.remarks,
            },
        )
        super().__init__(*args, **kwargs)
        self.codes = {str(c.pk): c for c in codes}
        choices = [("", "—— 请选择 ——")] + [(str(c.pk), f"{c.number}. {c.label}") for c in codes]
        self.result_rows: list[tuple[Result, forms.BoundField, forms.BoundField]] = []
        for result in part.results.filter(current=True).select_related("item").order_by("item__code"):
            code_name, finding_name = f"code_{result.item_id}", f"finding_{result.item_id}"
            self.fields[code_name] = forms.ChoiceField(
                label=result.item.name, choices=choices, required=False, initial=str(result.code_id or "")
            )
            self.fields[finding_name] = forms.CharField(
                label=f"{result.item.name}：发现问题",
                required=False,
                max_length=1000,
                initial=result.finding,
                widget=forms.TextInput(attrs={"placeholder": "发现问题（如有）"}),
            )
            self.result_rows.append((result, self[code_name], self[finding_name]))

    def results(self) -> dict[int, Any]:
        from shuangsuiji.inspections.services import ResultInput

        entries = {}
        for result, code_field, finding_field in self.result_rows:
            code = self.codes.get(self.cleaned_data.get(code_field.name) or "")
            entries[result.item_id] = ResultInput(code, self.cleaned_data.get(finding_field.name) or "")
        return entries


class SignatureForm(forms.Form):
    signature = forms.ChoiceField(label="检查对象签字情况", choices=InspectionRecord.Signature.choices[1:])
    note = forms.CharField(
        label="说明",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="拒绝签字的，由执法检查人员签字说明（004 第二十条）。",
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label="证据文件（JPEG、PNG 照片，PDF，MP4）")
    note = forms.CharField(label="说明", required=False, max_length=200)


class CorrectionForm(forms.Form):
    new_code = forms.ModelChoiceField(label="更正为", queryset=ResultCode.objects.none())
    new_finding = forms.CharField(label="发现问题", required=False, max_length=1000)
    reason = forms.CharField(
        label="更正理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="须写明发现错误的依据。",
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "批准"), ("reject", "驳回")])
    note = forms.CharField(label="审批意见", required=False, max_length=300)


class ReopenForm(forms.Form):
    reason = forms.CharField(label="退回理由", max_length=300)


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=FollowUp.Kind.choices)
    result = forms.ModelChoiceField(label="针对的检查结果", queryset=Result.objects.none(), required=False)
    rectify_by = forms.DateField(
        label="整改期限", required=False, widget=DateInput(), help_text="限期整改必填；到期后须回访。"
    )
    detail = forms.CharField(label="要求/情况", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class FollowUpCloseForm(forms.Form):
    outcome = forms.CharField(label="办理结果", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    receiver = forms.CharField(
        label="接收机关", required=False, max_length=100, help_text="移送、转办时必填。"
    )
    document_no = forms.CharField(label="文书编号", required=False, max_length=100)
    revisit_on = forms.DateField(label="回访日期", required=False, widget=DateInput())
    rectified = forms.TypedChoiceField(
        label="是否整改到位",
        required=False,
        choices=[("", "——"), ("1", "已整改到位"), ("0", "未整改到位")],
        coerce=lambda v: v == "1",
        empty_value=None,
    )
    cancel = forms.BooleanField(label="撤销此后续处置（不再办理）", required=False)
