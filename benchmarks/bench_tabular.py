"""Micro-benchmark of shuangsuiji.tabular: read + normalise + validate an entity register, next to the raw
floor (csv module / calamine iteration without validation). Each measurement runs in a fresh process so
its peak RSS is its own.

    uv run python benchmarks/bench_tabular.py              # 10^5 rows, CSV and xlsx
    uv run python benchmarks/bench_tabular.py --million    # also a 10^6-row CSV (xlsx stays 10^5)
    uv run python benchmarks/bench_tabular.py --million --xlsx-rows 1000000   # slow to generate
    uv run python benchmarks/bench_tabular.py --rows 20000 --keep var/bench
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HEADERS = [
    "单位名称", "统一社会信用代码（注册号）", "法定代表人", "住所", "登记机关", "管辖单位",
    "登记状态", "成立日期", "信用风险分类", "消防安全类别",
]  # fmt: skip
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
STATUSES = ["存续", "在业", "开业", "吊销，未注销", "注销"]
CLASSES = ["A", "B类", "信用风险一般", "较高", "D", ""]
FIRE = ["消防安全重点单位", "一般单位", "九小场所", "重点", ""]


def entity_rows(n: int, seed: int = 20250301) -> list[list[object]]:
    from stdnum.cn import uscc

    rng = random.Random(seed)
    rows: list[list[object]] = []
    for i in range(n):
        base = "9141038" + str(i % 10) + "".join(rng.choice(ALPHABET) for _ in range(9))
        code = base + uscc.calc_check_digit(base)
        # Unique codes: the 9-character organisation part is random over 31^9 values; collisions are
        # negligible at 10^6 but would only add duplicate errors, not change the timing.
        rows.append(
            [
                f"偃师区{rng.choice(SURNAMES)}氏第{i}号商贸有限公司",
                code,
                rng.choice(SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"),
                f"偃师区商城路{i % 999 + 1}号{i % 7 + 1}楼",
                "偃师区市场监督管理局",
                rng.choice(["城关市场监管所", "首阳山市场监管所", "顾县市场监管所"]),
                rng.choice(STATUSES),
                f"{rng.randint(1990, 2024)}-{rng.randint(1, 12)}-{rng.randint(1, 28)}",
                rng.choice(CLASSES),
                rng.choice(FIRE),
            ]
        )
    return rows


def write_files(directory: Path, n_csv: int, n_xlsx: int) -> tuple[Path, Path]:
    from shuangsuiji.tabular import write_xlsx

    csv_path = directory / f"entities_{n_csv}.csv"
    xlsx_path = directory / f"entities_{n_xlsx}.xlsx"
    rows = entity_rows(max(n_csv, n_xlsx))
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(HEADERS)
        writer.writerows(rows[:n_csv])
    write_xlsx(xlsx_path, HEADERS, rows[:n_xlsx])  # type: ignore[arg-type]
    return csv_path, xlsx_path


# ---- measurements (each runs in a child process) -----------------------------------------------------


def raw_csv(path: str) -> int:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def raw_calamine(path: str) -> int:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(path).get_sheet_by_index(0)
    return sum(1 for _ in sheet.iter_rows()) - 1


def pipeline(path: str) -> int:
    from shuangsuiji.tabular import ENTITY_SPEC, open_table, read_records

    with open_table(path) as table:
        reader = read_records(table, ENTITY_SPEC)
        records = sum(1 for _ in reader)
        if reader.errors:
            print(f"    ({reader.errors.summary()}; first: {reader.errors.items[0]})", file=sys.stderr)
        return records + reader.errors.rows_with_errors


def baseline(path: str) -> int:
    import python_calamine  # noqa: F401

    import shuangsuiji.tabular  # noqa: F401

    return 0


def _child(name: str, path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    import python_calamine  # noqa: F401  (imports are not part of any measurement)

    import shuangsuiji.tabular  # noqa: F401

    func: Callable[[str], int] = globals()[name]
    start = time.perf_counter()
    rows = func(path)
    seconds = time.perf_counter() - start
    queue.put((rows, seconds, _peak_mib()))


def _peak_mib() -> float:
    """Peak RSS of this process. VmHWM belongs to the address space, so unlike ru_maxrss (kept across
    exec) it does not inherit the parent's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, path: Path) -> tuple[int, float, float]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(name, str(path), queue))
    process.start()
    result = queue.get()
    process.join()
    return result  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the CSV and xlsx (default 10^5)")
    parser.add_argument("--million", action="store_true", help="CSV of 10^6 rows (xlsx keeps --rows)")
    parser.add_argument("--xlsx-rows", type=int, help="rows in the xlsx (default: --rows)")
    parser.add_argument("--keep", type=Path, help="write the generated files here and keep them")
    args = parser.parse_args()
    n_csv = 1_000_000 if args.million else args.rows
    n_xlsx = args.xlsx_rows or args.rows

    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        csv_path, xlsx_path = write_files(directory, n_csv, n_xlsx)
        print(f"generated {n_csv:,} CSV rows ({csv_path.stat().st_size / 2**20:.1f} MiB) and {n_xlsx:,} xlsx rows "
              f"({xlsx_path.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s")  # fmt: skip
        base = measure("baseline", csv_path)
        print(f"interpreter + shuangsuiji.tabular imports alone: peak RSS {base[2]:.0f} MiB\n")
        print(f"{'measurement':<34}{'rows':>10}{'seconds':>10}{'rows/s':>12}{'peak MiB':>10}")
        for label, floor, path in (("CSV", "raw_csv", csv_path), ("xlsx", "raw_calamine", xlsx_path)):
            raw = measure(floor, path)
            ours = measure("pipeline", path)
            for title, (rows, seconds, peak) in (
                (f"{label} raw floor ({floor})", raw),
                (f"{label} tabular pipeline", ours),
            ):
                print(f"{title:<34}{rows:>10,}{seconds:>10.2f}{rows / seconds:>12,.0f}{peak:>10.0f}")
            print(
                f"{label} ratio pipeline/raw: {ours[1] / raw[1]:.1f}x time, {ours[2] / raw[2]:.1f}x peak memory\n"
            )


if __name__ == "__main__":
    main()
