"""`{% pager page %}`: the count and the first/previous/next links of a `pagination.Page`, rendered in Python
(through the template engine it was a fifth of the portal search page's rendering, benchmarks/bench_portal.py)."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.formats import number_format
from django.utils.safestring import SafeString

from shuangsuiji.core.pagination import Page

register = template.Library()


@register.simple_tag
def pager(page: Page) -> SafeString:
    if page.total_capped:
        count = f"超过 {number_format(page.total, 0, force_grouping=True)} 条"
    else:
        count = f"共 {int(page.total)} 条"
    links = ""
    if page.prev_url:
        links += (
            f'<a class="btn" href="{escape(page.first_url)}">首页</a>'
            f'<a class="btn" href="{escape(page.prev_url)}" rel="prev">上一页</a>'
        )
    if page.next_url:
        links += f'<a class="btn" href="{escape(page.next_url)}" rel="next">下一页</a>'
    # nosec B703 — the count is a number, the links escaped
    return SafeString(f'<div class="pager" aria-label="分页">\n  <span>{count}</span>\n  {links}\n</div>')  # nosec B703
