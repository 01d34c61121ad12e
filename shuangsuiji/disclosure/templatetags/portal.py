"""The portal's hot fragments, rendered in Python: the header, the results table and the search form's options.

Every uncached search renders them; through the template engine they cost ~10 ms of CPU a page (a node,
a lookup and a localisation per cell and per option), here well under one (benchmarks/bench_portal.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from html import escape
from typing import Any

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from shuangsuiji.core.templatetags.pages import pager

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
    link = escape(portal_url("portal:result", "0")[: -len("0/")])  # …/results/ + pk/
    body = "\n".join(_row(link, r) for r in rows) if rows else _EMPTY
    return SafeString(_HEAD + body + _FOOT)  # nosec B703 — every text escaped in _row


def results_content(page: Any, filters: Any, choices: Mapping[str, Sequence[tuple[Any, str]]]) -> SafeString:
    """The results page's content (what was `{% block content %}` of its template): heading, search form,
    table, pager and the download links of the query."""
    form = "\n".join(
        f'<label for="{name}">{label}<select id="{name}" name="{name}">'
        f"{options(choices[plural], getattr(filters, name))}</select></label>"
        for name, plural, label in _FILTERS
    )
    query = escape(page.filter_query)
    return SafeString(  # nosec B703 — the query text and the links escaped, the fragments escape their own
        '<h1>检查结果公示</h1>\n<div class="panel"><form class="search" method="get" role="search">\n'
        '<label for="q">企业名称或统一社会信用代码<input id="q" name="q" '
        f'value="{escape(filters.q)}" size="28" maxlength="100"></label>\n{form}\n'
        '<button type="submit">查询</button></form></div>\n'
        f"{results_table(page.items)}\n{pager(page)}\n"
        f'<p class="muted">下载本次查询结果：<a href="{escape(portal_url("portal:open_dataset", "results", "csv"))}'
        f'?{query}">CSV</a> · <a href="{escape(portal_url("portal:open_dataset", "results", "json"))}'
        f'?{query}">JSON</a></p>\n'
    )


# the search form's selects: (field, choices key, label)
_FILTERS = (
    ("department", "departments", "检查部门"),
    ("item", "items", "检查事项"),
    ("year", "years", "年度"),
    ("code", "codes", "检查结果"),
)


@register.simple_tag
def options(choices: Sequence[tuple[Any, str]], selected: Any) -> SafeString:
    """`<option>`s of (value, label) pairs, `selected` marked, after an empty 全部 option."""
    values, rendered = _options(tuple(choices))
    if selected in values:
        at = values.index(selected)
        rendered = (*rendered[:at], rendered[at].replace(">", " selected>", 1), *rendered[at + 1 :])
    return SafeString('<option value="">全部</option>' + "".join(rendered))  # nosec B703 — escaped in _options


@lru_cache(maxsize=64)
def _options(choices: tuple[tuple[Any, str], ...]) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """The choices' values and `<option>`s, value and label escaped: the same for every search."""
    return tuple(value for value, _ in choices), tuple(
        f'<option value="{escape(str(value))}">{escape(label)}</option>' for value, label in choices
    )


# (URL name, label, URLs whose pages belong to the section: a name, or a name and an argument the path ends in): the portal's sections, in header order
_SECTIONS = (
    ("portal:item_lists", "抽查事项清单", ("portal:item_lists",)),
    ("portal:plans", "抽查计划", ("portal:plans", "portal:task 0")),
    ("portal:results", "检查结果", ("portal:results",)),
    ("portal:verify", "核验抽取", ("portal:verify",)),
    ("portal:open_data", "开放数据", ("portal:open_data",)),
)
_CURRENT = ' aria-current="page"'
_urls: dict[tuple[str, ...], str] = {}


@register.simple_tag
def portal_url(name: str, *args: str) -> str:
    """`{% url %}` for the hot pages' fixed links, reversed once per script prefix (`reverse` is ~50 µs; the
    base template's ten `{% url %}` were ~6% of an uncached search's time, benchmarks/bench_portal.py)."""
    key = (get_script_prefix(), name, *args)
    found = _urls.get(key)
    if found is None:
        found = _urls[key] = reverse(name, args=args)
    return found


def _prefix(url: str) -> str:
    """The path every page of `url` starts with ("portal:task 0": …/tasks/)."""
    name, *args = url.split()
    return portal_url(name, *args)[: -len("0/")] if args else portal_url(name)


@register.simple_tag
def portal_header(path: str) -> SafeString:
    """The header's site link, sections (the current one, by `path`, marked `aria-current`) and the staff
    sign-in link."""
    links = "".join(
        f'<a href="{escape(portal_url(name))}"'
        f"{_CURRENT if path.startswith(tuple(_prefix(m) for m in under)) else ''}>{label}</a>"
        for name, label, under in _SECTIONS
    )
    return SafeString(  # nosec B703 — fixed labels and reversed URLs, escaped
        f'<a class="site" href="{escape(portal_url("portal:home"))}">“双随机、一公开”信息公开</a>'
        f'<nav aria-label="栏目">{links}</nav><a class="staff" href="{escape(portal_url("core:home"))}">工作人员登录</a>'
    )
