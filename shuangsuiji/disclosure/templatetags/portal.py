"""The portal's hot fragments, rendered in Python: the results table and the search form's options.

Every uncached search renders them; through the template engine they cost ~10 ms of CPU a page (a node,
a lookup and a localisation per cell and per option), here well under one (benchmarks/bench_portal.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

register = template.Library()

_HEAD = (
    '<div class="scroll"><table><thead><tr><th scope="col">检查对象</th><th scope="col" class="opt">统一社会信用代码</th>'
    '<th scope="col">检查部门</th><th scope="col" class="opt">检查事项</th><th scope="col">检查结果</th>'
    '<th scope="col" class="opt">检查日期</th></tr></thead><tbody>\n'
)
_EMPTY = '<tr><td colspan="6" class="muted">没有符合条件的公示结果</td></tr>'
_FOOT = "</tbody></table></div>"
# Every text below goes through html.escape (Django's escape() adds a lazy-text wrapper per call: a fifth of
# a search's CPU when called per cell), so the joined string is safe to mark.


def _row(link: str, r: Any) -> str:
    corrected = ""
    if r.corrected_at:
        corrected = f' <span class="tag">{timezone.localtime(r.corrected_at).date().isoformat()} 更正</span>'
    return (
        f'<tr><td><a href="{link}{int(r.pk)}/">{escape(r.entity_name)}</a></td>'
        f'<td class="opt mono">{escape(r.entity_code)}</td><td>{escape(r.department_name)}</td>'
        f'<td class="opt">{escape(r.item_name)}</td><td>{int(r.code_number)}. {escape(r.code_label)}{corrected}</td>'
        f'<td class="opt">{r.inspected_on.isoformat()}</td></tr>'
    )


@register.simple_tag
def results_table(rows: Sequence[Any]) -> SafeString:
    """The table of published results (PublishedResult rows), or a row saying there are none."""
    link = escape(reverse("portal:result", args=[0])[: -len("0/")])  # …/results/ + pk/, one reverse()
    body = "\n".join(_row(link, r) for r in rows) if rows else _EMPTY
    return SafeString(_HEAD + body + _FOOT)  # nosec B703 — every text escaped in _row


@register.simple_tag
def options(choices: Iterable[tuple[Any, str]], selected: Any) -> SafeString:
    """`<option>`s of (value, label) pairs, `selected` marked, after an empty 全部 option."""
    return SafeString(  # nosec B703 — value and label escaped below
        '<option value="">全部</option>'
        + "".join(
            f'<option value="{escape(str(value))}"{" selected" if value == selected else ""}>{escape(label)}</option>'
            for value, label in choices
        )
    )
