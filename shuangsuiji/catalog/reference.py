"""Reference data every installation needs: the result code sets of the seeds.

Loaded by a data migration and re-ensured by the demo loader (idempotent)."""

from typing import Any

RESULT_CODE_SETS = [
    (
        "joint-2025",
        "部门联合抽查检查结果（004 附件2）",
        "信平双随机办〔2025〕4号 附件2",
        [
            (1, "未发现问题", False, False, False),
            (2, "未按规定公示应当公示的信息", True, False, False),
            (3, "公示信息隐瞒真实情况弄虚作假", True, False, False),
            (4, "通过登记的住所(经营场所)无法取得联系", True, True, True),
            (5, "发现问题已责令整改", True, False, False),
            (6, "不配合检查情节严重", True, True, False),
            (7, "未发现本次抽查涉及的经营活动", False, False, False),
            (8, "发现问题待后续处理", True, False, False),
            (9, "合格", False, False, False),
            (10, "不合格", True, False, False),
        ],
    ),
    (
        "joint-no-pass-fail",
        "联合抽查检查结果（不含合格/不合格，000）",
        "偃消〔2023〕19号 三(四)1",
        [
            (1, "未发现问题", False, False, False),
            (2, "未按规定公示应当公示的信息", True, False, False),
            (3, "公示信息隐瞒真实情况弄虚作假", True, False, False),
            (4, "通过登记的住所(经营场所)无法联系", True, True, True),
            (5, "发现问题已责令改正", True, False, False),
            (6, "不配合检查情节严重", True, True, False),
            (7, "未发现开展本次抽查涉及的经营活动", False, False, False),
            (8, "发现问题待后续处理", True, False, False),
        ],
    ),
    (
        "fire-product",
        "消防产品质量监督检查结果（000 附件）",
        "偃消〔2023〕19号 附件",
        [
            (1, "未发现问题", False, False, False),
            (2, "责令立即改正", True, False, False),
            (3, "责令限期改正", True, False, False),
        ],
    ),
]


def ensure_result_code_sets(result_code_set_model: Any, result_code_model: Any) -> None:
    for code, name, source, codes in RESULT_CODE_SETS:
        code_set, _ = result_code_set_model.objects.get_or_create(
            code=code, defaults={"name": name, "source": source}
        )
        for number, label, problem, direct, abnormal in codes:
            result_code_model.objects.get_or_create(
                code_set=code_set,
                number=number,
                defaults={
                    "label": label,
                    "is_problem": problem,
                    "without_inspection": direct,
                    "proposes_abnormal_listing": abnormal,
                },
            )
