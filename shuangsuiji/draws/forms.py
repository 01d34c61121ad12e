from django import forms

from shuangsuiji.catalog.models import InspectionItem, Method, ResultCodeSet
from shuangsuiji.draws.models import Witness


class WitnessForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    role = forms.ChoiceField(label="身份", choices=Witness.Role.choices)
    organisation = forms.CharField(label="单位", max_length=100, required=False)


class EntropyForm(forms.Form):
    ceremony_entropy = forms.CharField(
        label="现场随机数",
        max_length=500,
        required=False,
        widget=forms.TextInput(
            attrs={"class": "entropy", "autocomplete": "off", "placeholder": "如：4 2 6 1 5 3 …"}
        ),
        help_text="由见证人现场掷骰子（建议 20 次）后当众录入；不举行仪式时可留空。",
    )
    place = forms.CharField(label="抽取地点", max_length=200, required=False)
    confirm = forms.BooleanField(label="我已核对承诺摘要与公告一致，现场随机数已当众确认", required=True)


class ReceiveForm(forms.Form):
    title = forms.CharField(label="任务名称", max_length=200)
    received_from = forms.CharField(label="下发单位", max_length=200)
    items = forms.ModelMultipleChoiceField(
        label="抽查事项", queryset=InspectionItem.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    result_code_set = forms.ModelChoiceField(label="检查结果代码集", queryset=ResultCodeSet.objects.all())
    methods = forms.MultipleChoiceField(
        label="检查方式", choices=Method.choices, widget=forms.CheckboxSelectMultiple
    )
    period_start = forms.DateField(label="检查开始", widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label="检查结束", widget=forms.DateInput(attrs={"type": "date"}))
    bundle = forms.FileField(
        label="上级抽取包（.zip）", help_text="上级平台导出的 ssj-draw/1 抽取包；接收前会自动核验。"
    )


class SubstituteForm(forms.Form):
    reason = forms.CharField(label="无法参加的原因", max_length=300)


class ReplacementForm(forms.Form):
    incoming = forms.CharField(label="调整后人员执法证号", max_length=40)
    reason = forms.ChoiceField(
        label="原因类别",
        choices=[
            ("岗位调整", "岗位调整"),
            ("工作冲突", "工作冲突"),
            ("健康状况", "健康状况"),
            ("执法回避", "执法回避"),
        ],
    )
    detail = forms.CharField(label="具体说明", max_length=250)
