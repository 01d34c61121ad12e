"""Reading, validating and writing tables (pure: no Django).

Import: :func:`open_table` detects the format by content (xlsx, xls, xlsb, ods, csv in UTF-8, UTF-8 with
BOM, UTF-16 or GBK/GB18030), guards zips against bombs and XML entities, and streams rows;
:func:`read_records` finds the header, normalises and validates every cell against a :class:`TableSpec`
and collects row-numbered Chinese errors in an :class:`ErrorLog` (downloadable as .xlsx).

Export: :func:`write_xlsx` / :func:`write_csv` / :func:`csv_chunks` neutralise formula-like cells;
:func:`write_template` produces the 模板下载 workbook of a spec. See README.md in this package.
"""

from shuangsuiji.tabular.cells import Cell, CellRange, CellValue, Formula
from shuangsuiji.tabular.columns import ColumnSpec, HeaderMatch, RowHook, TableSpec, normalize_header
from shuangsuiji.tabular.errors import CellError, ErrorLog, RowError, TabularError, errors_to_xlsx
from shuangsuiji.tabular.normalize import (
    Boolean,
    Code,
    Date,
    Integer,
    ManyOf,
    Normalizer,
    OneOf,
    Option,
    Percent,
    ResidentId,
    Text,
    Uscc,
)
from shuangsuiji.tabular.reading import open_table
from shuangsuiji.tabular.records import Record, RecordReader, read_records, unneutralize
from shuangsuiji.tabular.registers import (
    CONFLICT_SPEC,
    ENTITY_SPEC,
    INSPECTION_ITEM_SPEC,
    INSPECTOR_SPEC,
    SPECS,
    split_entity_code,
)
from shuangsuiji.tabular.table import DEFAULT_LIMITS, Limits, Table
from shuangsuiji.tabular.template import write_template
from shuangsuiji.tabular.writing import ExportValue, csv_chunks, neutralize, write_csv, write_xlsx

__all__ = [
    "CONFLICT_SPEC",
    "DEFAULT_LIMITS",
    "ENTITY_SPEC",
    "INSPECTION_ITEM_SPEC",
    "INSPECTOR_SPEC",
    "SPECS",
    "Boolean",
    "Cell",
    "CellError",
    "CellRange",
    "CellValue",
    "Code",
    "ColumnSpec",
    "Date",
    "ErrorLog",
    "ExportValue",
    "Formula",
    "HeaderMatch",
    "Integer",
    "Limits",
    "ManyOf",
    "Normalizer",
    "OneOf",
    "Option",
    "Percent",
    "Record",
    "RecordReader",
    "ResidentId",
    "RowError",
    "RowHook",
    "Table",
    "TableSpec",
    "TabularError",
    "Text",
    "Uscc",
    "csv_chunks",
    "errors_to_xlsx",
    "neutralize",
    "normalize_header",
    "open_table",
    "read_records",
    "split_entity_code",
    "unneutralize",
    "write_csv",
    "write_template",
    "write_xlsx",
]
