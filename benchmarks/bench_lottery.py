"""Benchmark of the lottery core (ssj-draw/1): object draw, sharded draw, team draw, against a SHA-256 floor.

    uv run python benchmarks/bench_lottery.py [--max-n 10000000]

Population: N entities in 200 strata "S000".."S199". Rates rise linearly from 2% (S000) to 100% (S199);
sizes fall as 1/(i+1)^1.5, so the big strata are the low-rate ones (as with credit class A at 2% and
消防安全重点单位 at 100%); the sample is about 7% of N. Keys are 18-character USCC-like strings generated
on the fly as a sorted stream (never held in a list). Each measurement runs in a fresh child process;
"peak RSS" is that process's ru_maxrss (the interpreter's own ~20 MB included).

The floor is one pass of SHA-256 over the same keys, from the same generator: the least any
"lowest SHA-256 ticket" draw must do.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from itertools import chain, islice, repeat
from typing import Any

STRATA = 200
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def rates() -> list[int]:
    return [200 + (9800 * i) // (STRATA - 1) for i in range(STRATA)]


def sizes(n: int) -> list[int]:
    w = [1 / (i + 1) ** 1.5 for i in range(STRATA)]
    total = sum(w)
    out = [int(n * x / total) for x in w]
    out[0] += n - sum(out)
    return out


def labels() -> list[str]:
    return [f"S{i:03d}" for i in range(STRATA)]


def stream(n: int, start: int = 0, stop: int | None = None) -> Iterator[tuple[str, str]]:
    """Lines [start, stop) of the sorted population, as (label, key), generated lazily at C speed."""
    stop = n if stop is None else stop
    parts = []
    offset = 0
    for i, (label, size) in enumerate(zip(labels(), sizes(n), strict=True)):
        lo, hi = max(start - offset, 0), min(stop - offset, size)
        if lo < hi:
            fmt = "9141" + f"{i:03d}" + "{:011d}"
            parts.append(zip(repeat(label), map(fmt.format, range(lo, hi)), strict=False))
        offset += size
    return chain.from_iterable(parts)


class Part:
    """A picklable shard source: lines [start, stop) of the synthetic population."""

    def __init__(self, n: int, start: int, stop: int) -> None:
        self.n, self.start, self.stop = n, start, stop

    def __call__(self) -> Iterator[tuple[str, str]]:
        return stream(self.n, self.start, self.stop)


def committed_strata(n: int) -> list[Any]:
    from shuangsuiji.lottery import Stratum, quota

    return [
        Stratum(label, f"分层{label}", size, rate, quota(size, rate))
        for label, size, rate in zip(labels(), sizes(n), rates(), strict=True)
    ]


SEED = hashlib.sha256(b"bench").digest()


def population_digest(n: int) -> str:
    """SHA-256 of population.tsv for the synthetic stream (in blocks, as the draw does)."""
    h = hashlib.sha256()
    it = stream(n)
    while True:
        chunk = list(islice(it, 4096))
        if not chunk:
            break
        h.update("".join(f"{a}\t{b}\n" for a, b in chunk).encode())
    return h.hexdigest()


# ---------------------------------------------------------------------------------------- children


def child_floor(n: int) -> dict[str, Any]:
    base = hashlib.sha256(SEED + b"obj\x00")
    copy = base.copy
    t0 = time.perf_counter()
    for _, key in stream(n):
        h = copy()
        h.update(key.encode())
        h.digest()
    return {"seconds": time.perf_counter() - t0}


def child_draw(n: int) -> dict[str, Any]:
    from shuangsuiji.lottery import draw_objects

    strata = committed_strata(n)
    t0 = time.perf_counter()
    d = draw_objects(SEED, stream(n), strata)
    return {"seconds": time.perf_counter() - t0, "selected": len(d.selected), "digest": d.population_sha256}


def child_sharded(n: int, with_digest: bool = False) -> dict[str, Any]:
    """2 worker processes draw halves of the population; with_digest: a third hashes the stream meanwhile."""
    from shuangsuiji.lottery import draw_objects_sharded

    strata = committed_strata(n)
    parts = [Part(n, 0, n // 2), Part(n, n // 2, n)]
    digest = None
    t0 = time.perf_counter()
    if with_digest:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            pending = pool.apply_async(population_digest, (n,))
            d = draw_objects_sharded(SEED, parts, strata, processes=2)
            digest = pending.get()
    else:
        d = draw_objects_sharded(SEED, parts, strata, processes=2)
    return {
        "seconds": time.perf_counter() - t0,
        "selected": len(d.selected),
        "first": d.selected[0].key if d.selected else None,
        "digest": digest,
        "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def child_file(n: int) -> dict[str, Any]:
    """The draw as the app runs it: from a stored population.tsv, its digest first, then the file pass."""
    import tempfile

    from shuangsuiji.lottery import draw_objects_from_file

    strata = committed_strata(n)
    with tempfile.NamedTemporaryFile(suffix=".tsv") as fh:
        it = stream(n)
        while True:
            chunk = list(islice(it, 4096))
            if not chunk:
                break
            fh.write("".join(f"{a}\t{b}\n" for a, b in chunk).encode())
        fh.flush()
        digest = population_digest(n)
        t0 = time.perf_counter()
        d = draw_objects_from_file(SEED, fh.name, strata, population_sha256=digest)
        seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "selected": len(d.selected),
        "first": d.selected[0].key if d.selected else None,
    }


def child_team(n_entities: int, per_dept: list[int], processes: int = 1) -> dict[str, Any]:
    from shuangsuiji.lottery import Department, TeamInputs, canonical_json, draw_teams

    depts = (
        Department("D1", "市场监管", 2, True),
        Department("D2", "消防救援", 1, False),
        Department("D3", "生态环境", 1, False),
    )
    pool = {
        d.code: tuple(f"{d.code}-{i:05d}" for i in range(size))
        for d, size in zip(depts, per_dept, strict=True)
    }
    entities = [f"91410381MA{i:08d}" for i in range(n_entities)]
    # 1% of entities have a conflict with one inspector of each department
    conflicts = {
        e: frozenset(pool[d.code][j % len(pool[d.code])] for d in depts)
        for j, e in enumerate(entities[::100])
    }
    inputs = TeamInputs(departments=depts, pool=pool, conflicts=conflicts)
    second: list[tuple[str, str]] = []
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    teams = draw_teams(SEED, entities, inputs, second_pass=second, processes=processes)
    seconds = time.perf_counter() - t0
    tickets = n_entities * sum(per_dept)
    # the floor: one SHA-256 per (entity, department, inspector) ticket, nothing else
    sample = min(n_entities, 1000)
    t1 = time.perf_counter()
    for e in entities[:sample]:
        for d in depts:
            base = hashlib.sha256(SEED + b"team\x00" + e.encode() + b"\x00" + d.code.encode() + b"\x00")
            copy = base.copy
            for i in pool[d.code]:
                h = copy()
                h.update(i.encode())
                h.digest()
    floor = (time.perf_counter() - t1) * n_entities / sample
    return {
        "seconds": seconds,
        "teams": len(teams),
        "tickets": tickets,
        "second_pass": len(second),
        "floor": floor,
        "load": load,
        "sha256": hashlib.sha256(canonical_json([t.to_json() for t in teams])).hexdigest(),
        "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def run_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def child_main(args: list[str]) -> None:
    kind = args[0]
    if kind == "team":
        result = child_team(int(args[1]), [int(x) for x in args[2].split(",")], int(args[3]))
    else:
        n = int(args[1])
        runners: dict[str, Callable[[int], dict[str, Any]]] = {
            "floor": child_floor,
            "draw": child_draw,
            "sharded": child_sharded,
            "sharded+digest": lambda n: child_sharded(n, with_digest=True),
            "file": child_file,
        }
        result = runners[kind](n)
    result["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))


def mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--max-n", type=int, default=10_000_000, help="largest population (default 10^7)")
    parser.add_argument("--no-sharded", action="store_true", help="skip the sharded runs")
    parser.add_argument("--no-team", action="store_true", help="skip the team draws")
    opts = parser.parse_args()
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
        "200 strata, rates 2%–100%, sizes ~ 1/(i+1)^1.5"
    )
    ns = [n for n in (100_000, 1_000_000, 10_000_000) if n <= opts.max_n] or [opts.max_n]
    for n in ns:
        load = os.getloadavg()[0]
        floor = run_child(["floor", str(n)])
        draw = run_child(["draw", str(n)])
        ratio = draw["seconds"] / floor["seconds"]
        print(
            f"N={n:>10,}  selected {draw['selected']:>8,} ({draw['selected'] / n:.1%})   load average {load:.2f}\n"
            f"  floor (1 SHA-256/key) {floor['seconds']:7.2f} s   {n / floor['seconds']:>11,.0f} keys/s"
            f"   peak RSS {mb(floor['maxrss_kb'])}\n"
            f"  draw (1 pass+digest)  {draw['seconds']:7.2f} s   {n / draw['seconds']:>11,.0f} tickets/s"
            f"   peak RSS {mb(draw['maxrss_kb'])}   = {ratio:.2f}x floor"
        )
        fl = run_child(["file", str(n)])
        print(
            f"  draw from the file    {fl['seconds']:7.2f} s   {n / fl['seconds']:>11,.0f} tickets/s"
            f"   peak RSS {mb(fl['maxrss_kb'])}   = {fl['seconds'] / floor['seconds']:.2f}x floor"
            "   (population.tsv: digest, then the file pass, as run_draw does)"
        )
        if not opts.no_sharded:
            sh = run_child(["sharded", str(n)])
            shd = run_child(["sharded+digest", str(n)])
            assert shd["digest"] == draw["digest"] and sh["first"] == shd["first"] == fl["first"]
            print(
                f"  sharded, 2 processes  {sh['seconds']:7.2f} s   {n / sh['seconds']:>11,.0f} tickets/s"
                f"   peak RSS parent {mb(sh['maxrss_kb'])}, largest worker {mb(sh['children_maxrss_kb'])}"
                f"   = {sh['seconds'] / floor['seconds']:.2f}x floor\n"
                f"    + the population digest in a 3rd process meanwhile: {shd['seconds']:.2f} s"
            )
        print(f"  load average now {os.getloadavg()[0]:.2f}")
    if not opts.no_team:
        for per_dept in ("500,500,500", "200,150,150"):
            digests = set()
            for processes in (1, 2):
                tm = run_child(["team", "10000", per_dept, str(processes)])
                digests.add(tm["sha256"])
                print(
                    f"team draw: 10,000 entities x 3 departments, pools {per_dept}, {processes} process(es): "
                    f"{tm['seconds']:.2f} s  ({tm['tickets']:,} team tickets, {tm['tickets'] / tm['seconds']:,.0f}/s; "
                    f"second pass {tm['second_pass']}x)   floor (1 SHA-256/ticket, 1 process) {tm['floor']:.2f} s"
                    f" = {tm['seconds'] / tm['floor']:.2f}x floor   peak RSS {mb(tm['maxrss_kb'])}"
                    + (f", workers {mb(tm['children_maxrss_kb'])}" if processes > 1 else "")
                    + f"   load average {tm['load']:.2f}"
                )
            print(f"  the same teams with 1 and 2 processes: {len(digests) == 1}")
    print(f"load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
