"""One streaming pass over a sorted population: validation, digest, stratum sizes, and a hook per chunk.

The population arrives as (stratum_label, entity_key) pairs sorted by the UTF-8 bytes of their TSV line.
Because every line of a stratum starts with ``label TAB``, each stratum is one contiguous run; the pass
handles the run in chunks with C-level operations (join, encode, split, compare), so the per-key Python
work is what the caller's hook does (for the draw: one SHA-256 per key).
"""

from __future__ import annotations

import gc
import hashlib
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby, islice
from operator import itemgetter, lt
from typing import IO

from .encoding import field_problem
from .errors import InvalidInputError, TsvFormatError

CHUNK = 4096
FILE = "population.tsv"

_first = itemgetter(0)
_second = itemgetter(1)

# A chunk hook gets the stratum label, the UTF-8 keys of one chunk (sorted, validated) and the line number of
# the first of them (0-based).
ChunkHook = Callable[[str, list[bytes], int], None]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a pass creates millions of acyclic tuples, and full collections
    would traverse every object kept so far again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class PopulationScan:
    sha256: str | None
    sizes: dict[str, int]
    count: int


class UniqueKeys:
    """Cross-stratum key uniqueness in about 8 bytes per key.

    Within a stratum, strict order already rules out duplicates; across strata a key could repeat. We keep
    the 64-bit ``hash()`` of every key, bucketed by value into compact arrays; a repeated hash is only a
    suspect (a real duplicate or a hash collision) that the caller settles exactly in a second pass.
    """

    _NB = 64
    _BOUNDS = [-(1 << 63) + (i + 1) * (1 << 57) for i in range(_NB - 1)]

    def __init__(self) -> None:
        self._buckets = [array("q") for _ in range(self._NB)]

    def add(self, keys: list[str]) -> None:
        hs = sorted(map(hash, keys))
        lo = 0
        for b, bound in enumerate(self._BOUNDS):
            hi = bisect_left(hs, bound, lo)
            if hi > lo:
                self._buckets[b].extend(hs[lo:hi])
                lo = hi
        if lo < len(hs):
            self._buckets[-1].extend(hs[lo:])

    def suspects(self) -> set[int]:
        out: set[int] = set()
        for arr in self._buckets:
            if len(set(arr)) != len(arr):
                out.update(h for h, c in Counter(arr).items() if c > 1)
        return out


def find_duplicate_keys(
    population: Iterable[tuple[str, str]], suspects: set[int]
) -> tuple[str, str, str] | None:
    """Second pass for ``UniqueKeys`` suspects: the first key found in two strata, as (key, stratum1, stratum2)."""
    seen: dict[str, str] = {}
    for label, key in population:
        if hash(key) in suspects:
            if key in seen:
                return key, seen[key], label
            seen[key] = label
    return None


def _chunk_error(
    keys: list[object], label: str, last: bytes | None, line_no: int, excluded: Collection[str]
) -> InvalidInputError:
    """The first problem in a chunk that failed the fast checks, with its line number."""
    prev = last
    for i, key in enumerate(keys):
        n = line_no + i + 1
        problem = field_problem(key)
        if problem is not None:
            return TsvFormatError(f"检查对象键{problem[0]}", f"entity key {problem[1]}", file=FILE, line=n)
        if not isinstance(key, str):
            raise RuntimeError("internal invariant broken")
        kb = key.encode("utf-8")
        if prev is not None and not kb > prev:
            if kb == prev:
                return TsvFormatError(f"重复的检查对象 {key}", f"duplicate entity {key}", file=FILE, line=n)
            return TsvFormatError(
                f'分层 {label} 中 {key} 未按 UTF-8 字节顺序排列（数据库排序请用 COLLATE "C"）',
                f'{key} in stratum {label} is out of UTF-8 byte order (sort with COLLATE "C")',
                file=FILE,
                line=n,
            )
        prev = kb
        if key in excluded:
            return TsvFormatError(
                f"检查对象 {key} 既在名录中又在排除名单中",
                f"entity {key} is both in the population and excluded",
                file=FILE,
                line=n,
            )
    return TsvFormatError("格式错误", "malformed", file=FILE, line=line_no + 1)


def scan_population(
    population: Iterable[tuple[str, str]],
    *,
    labels: Collection[str],
    on_chunk: ChunkHook | None = None,
    on_stratum_end: Callable[[str, int], None] | None = None,
    digest: bool = True,
    out: IO[bytes] | None = None,
    excluded: AbstractSet[str] = frozenset(),
    unique: UniqueKeys | None = None,
) -> PopulationScan:
    """Validate and consume a sorted population stream in one pass."""
    runs = ((label, map(_second, group)) for label, group in groupby(population, key=_first))
    with gc_paused():
        return _scan(runs, labels, on_chunk, on_stratum_end, digest, out, excluded, unique)


def scan_population_runs(
    runs: Iterable[tuple[str, Iterable[str]]],
    *,
    labels: Collection[str],
    out: IO[bytes] | None = None,
    excluded: AbstractSet[str] = frozenset(),
    unique: UniqueKeys | None = None,
) -> PopulationScan:
    """``scan_population`` for a population that arrives as runs: (label, that stratum's keys in order), one
    run per stratum, in order — as a database grouping the sorted population by stratum hands it over. The
    label is checked once a run, not once a line."""
    with gc_paused():
        return _scan(runs, labels, None, None, True, out, excluded, unique)


def _scan(
    runs: Iterable[tuple[str, Iterable[str]]],
    labels: Collection[str],
    on_chunk: ChunkHook | None,
    on_stratum_end: Callable[[str, int], None] | None,
    digest: bool,
    out: IO[bytes] | None,
    excluded: AbstractSet[str],
    unique: UniqueKeys | None,
) -> PopulationScan:
    h = hashlib.sha256() if digest else None
    sizes: dict[str, int] = {}
    prev_line: bytes | None = None
    prev_label: str | None = None
    line_no = 0
    write = out.write if out is not None else None
    check_excluded = len(excluded) > 0
    try:
        for label, keys in runs:
            keys_iter = iter(keys)
            keys = list(islice(keys_iter, CHUNK))
            if not keys:  # an empty run (a stratum whose every entity was excluded): nothing to check or add
                continue
            problem = field_problem(label)
            if problem is not None:
                raise TsvFormatError(
                    f"分层标签{problem[0]}", f"stratum label {problem[1]}", file=FILE, line=line_no + 1
                )
            if label not in labels:
                raise TsvFormatError(
                    f"分层 {label} 未定义",
                    f"stratum {label} is not among the strata",
                    file=FILE,
                    line=line_no + 1,
                )
            prefix = label.encode("utf-8") + b"\t"
            sep = b"\n" + prefix
            last: bytes | None = None
            size = 0
            while keys:
                kbs: list[bytes] | None = None
                try:
                    s = "\n".join(keys)
                    if (
                        s.count("\n") == len(keys) - 1
                        and "\t" not in s
                        and "\r" not in s
                        and "\x00" not in s
                        and unicodedata.is_normalized("NFC", s)
                    ):
                        kbs = s.encode("utf-8").split(b"\n")
                except (TypeError, UnicodeEncodeError):
                    kbs = None
                if (
                    kbs is None
                    or not kbs[0]
                    or (last is not None and not kbs[0] > last)
                    or not all(map(lt, kbs, islice(kbs, 1, None)))
                    or (check_excluded and not excluded.isdisjoint(keys))
                ):
                    raise _chunk_error(list(keys), label, last, line_no, excluded)
                if last is None:
                    first_line = prefix + kbs[0]
                    if prev_line is not None and not first_line > prev_line:
                        if label == prev_label or label in sizes:
                            zh = f'分层 {label} 的行不连续或未排序（数据库排序请用 COLLATE "C"）'
                            en = f'lines of stratum {label} are not contiguous or not sorted (sort with COLLATE "C")'
                        else:
                            zh = f'分层 {label} 未按 UTF-8 字节顺序排在 {prev_label} 之后（数据库排序请用 COLLATE "C"）'
                            en = f'stratum {label} is out of UTF-8 byte order after {prev_label} (sort with COLLATE "C")'
                        raise TsvFormatError(zh, en, file=FILE, line=line_no + 1)
                blob = prefix + sep.join(kbs) + b"\n"
                if h is not None:
                    h.update(blob)
                if write is not None:
                    write(blob)
                if unique is not None:
                    unique.add(keys)
                if on_chunk is not None:
                    on_chunk(label, kbs, line_no)
                last = kbs[-1]
                size += len(kbs)
                line_no += len(kbs)
                keys = list(islice(keys_iter, CHUNK))
            if last is None:
                raise RuntimeError("internal invariant broken: a run with keys has a last key")
            prev_line = prefix + last
            prev_label = label
            sizes[label] = sizes.get(label, 0) + size
            if on_stratum_end is not None:
                on_stratum_end(label, size)
    except (TypeError, IndexError, ValueError) as exc:
        raise InvalidInputError(
            f"检查对象名录应为（分层标签, 检查对象键）二元组：第 {line_no + 1} 行附近 {exc}",
            f"the population must be (stratum_label, entity_key) pairs: near line {line_no + 1}: {exc}",
        ) from None
    for label in labels:
        sizes.setdefault(label, 0)
    return PopulationScan(sha256=h.hexdigest() if h is not None else None, sizes=sizes, count=line_no)
