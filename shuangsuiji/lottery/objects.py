"""Drawing the objects (DRAW-PROTOCOL.md §5): lowest SHA-256 tickets per stratum, streaming and sharded.

Memory is proportional to the sample: each stratum keeps a bounded buffer of candidates (at most twice its
quota plus one chunk), pruned to the quota whenever it fills, with the quota-th ticket as the threshold
below which later keys must fall to be kept. Drawing from population.tsv, the buffer starts with a bound
computed from the stratum's size and quota (``_ticket_bounds``), so it hardly ever fills.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import os
from array import array
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, count, islice, pairwise
from operator import itemgetter, lt
from typing import IO, Any, cast

from .commitment import Stratum
from .encoding import PathLike, iter_tsv_pairs
from .errors import IntegrityError, InvalidInputError
from .population import CHUNK, ChunkHook, gc_paused, scan_population

OBJ = b"obj\x00"


@dataclass(frozen=True, slots=True)
class Selected:
    key: str
    stratum: str
    ticket: bytes

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "stratum": self.stratum, "ticket": self.ticket.hex()}


@dataclass(frozen=True)
class ObjectDraw:
    """The selected entities in ticket order, with what the pass measured (None: not measured here).

    ``lines``: where each selected entity is in the population (0-based line numbers of population.tsv), in
    the order of ``selected`` — so that a caller who kept something per line (say, database ids) can find it."""

    selected: tuple[Selected, ...]
    population_sha256: str | None
    sizes: Mapping[str, int]
    lines: tuple[int, ...] = ()


def object_ticket(seed: bytes, key: str) -> bytes:
    return hashlib.sha256(seed + OBJ + key.encode("utf-8")).digest()


def _check_seed(seed: bytes) -> None:
    if not isinstance(seed, bytes) or len(seed) != 32:
        raise InvalidInputError("种子应为 32 字节", "the seed must be 32 bytes")


# A candidate: (ticket, key as UTF-8, line number in the population).
Candidate = tuple[bytes, bytes, int]


# Candidates sort by their ticket alone, stably: they are offered in key order (a stratum's keys ascend), so
# among equal tickets (a SHA-256 collision, never seen) the smaller key stays first, as §5 says — and sorting
# by one bytes object is three times faster than by the tuple.
_ticket = itemgetter(0)


class _TopK:
    """The k smallest (ticket, key) of a stream offered in key order, ties to the smaller key, each with its
    line number. With a ``bound``, tickets above it are never kept (see ``_ticket_bounds``)."""

    __slots__ = ("cand", "k", "threshold")

    def __init__(self, k: int, bound: bytes | None = None) -> None:
        self.k = k
        self.cand: list[Candidate] = []
        self.threshold = bound

    def offer(self, tickets: list[bytes], keys: list[bytes], first_line: int) -> None:
        if self.k == 0:
            return
        if self.threshold is None:
            self.cand.extend(zip(tickets, keys, count(first_line)))
        else:
            kept = list(map(self.threshold.__ge__, tickets))
            if any(kept):
                self.cand.extend(
                    zip(
                        compress(tickets, kept),
                        compress(keys, kept),
                        compress(count(first_line), kept),
                        strict=True,
                    )
                )
        if len(self.cand) > 2 * self.k + 64:
            self.cand.sort(key=_ticket)
            del self.cand[self.k :]
            self.threshold = self.cand[-1][0]

    def result(self) -> list[Candidate]:
        self.cand.sort(key=_ticket)
        del self.cand[self.k :]
        return self.cand


class _BoundTooLow(Exception):
    """Fewer than a stratum's quota of tickets fell below its bound: draw again without bounds."""


def _ticket_bounds(strata: Sequence[Stratum]) -> dict[str, bytes]:
    """Per stratum, a ticket above which its selection almost surely lies not: tickets are uniform, so about
    (quota + margin) / size of them fall below (quota + margin) / size × 2^256; with a margin of ten standard
    deviations and more, fewer than quota do with a probability under 10^-20. A shard then keeps only the
    tickets below the bound instead of sorting and pruning a growing buffer. If fewer than quota did fall
    below, ``merge_shards`` raises ``_BoundTooLow`` and the draw runs again without bounds: the answer never
    depends on them."""
    bounds: dict[str, bytes] = {}
    for s in strata:
        if 0 < s.quota < s.size:
            expected = s.quota + 10 * math.isqrt(s.quota) + 64
            value = (expected << 256) // s.size
            if value < 1 << 256:
                bounds[s.label] = value.to_bytes(32, "big")
    return bounds


def _ticket_hook(
    seed: bytes, tops: dict[str, _TopK], quotas: Mapping[str, int], bounds: Mapping[str, bytes] | None = None
) -> ChunkHook:
    prefix = seed + OBJ
    sha256 = hashlib.sha256
    bounds = bounds or {}

    def on_chunk(label: str, kbs: list[bytes], first_line: int) -> None:
        top = tops.get(label)
        if top is None:
            top = tops[label] = _TopK(quotas[label], bounds.get(label))
        top.offer([sha256(prefix + kb).digest() for kb in kbs], kbs, first_line)

    return on_chunk


def _in_ticket_order(
    chosen: list[tuple[bytes, bytes, str, int]],
) -> tuple[tuple[Selected, ...], tuple[int, ...]]:
    """(ticket, key, stratum, line) of every selected entity → the selection in ticket order (ties, a SHA-256
    collision never seen, to the smaller key bytes) and the line numbers in the same order."""
    chosen.sort(key=_ticket)
    tickets = list(map(_ticket, chosen))
    if not all(map(lt, tickets, islice(tickets, 1, None))):  # equal tickets: let the keys decide
        chosen.sort()
    del tickets
    selected = tuple(Selected(k.decode("utf-8"), label, t) for t, k, label, _ in chosen)
    return selected, tuple(line for _, _, _, line in chosen)


@dataclass(frozen=True)
class ShardDraw:
    """One shard's candidates, compact for transfer between processes: per stratum, at most its quota
    candidates as three blobs, the 32-byte tickets concatenated, the keys joined by LF and the line numbers
    (within the shard) as 64-bit integers."""

    tops: dict[str, tuple[bytes, bytes, bytes]]
    sizes: dict[str, int]

    def candidates(self, label: str, first_line: int = 0) -> list[Candidate]:
        """The candidates of one stratum, their line numbers counted from ``first_line`` (the shard's start)."""
        blob = self.tops.get(label)
        if blob is None or not blob[0]:
            return []
        tickets, keys, lines = blob
        numbers = array("q")
        numbers.frombytes(lines)
        return list(zip(_split32(tickets), keys.split(b"\n"), (first_line + n for n in numbers), strict=True))


def _split32(blob: bytes) -> list[bytes]:
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


def _pack(cands: list[Candidate]) -> tuple[bytes, bytes, bytes]:
    return (
        b"".join(c[0] for c in cands),
        b"\n".join(c[1] for c in cands),
        array("q", (c[2] for c in cands)).tobytes(),
    )


def draw_shard(seed: bytes, population: Iterable[tuple[str, str]], strata: Sequence[Stratum]) -> ShardDraw:
    """Top-quota candidates of one shard (any sorted part of the population), for ``merge_shards``."""
    _check_seed(seed)
    quotas = {s.label: s.quota for s in strata}
    tops: dict[str, _TopK] = {}
    packed: dict[str, tuple[bytes, bytes, bytes]] = {}

    def on_stratum_end(label: str, size: int) -> None:
        top = tops.pop(label, None)
        if top is not None:
            packed[label] = _pack(top.result())

    scan = scan_population(
        population,
        labels=quotas,
        on_chunk=_ticket_hook(seed, tops, quotas),
        on_stratum_end=on_stratum_end,
        digest=False,
    )
    return ShardDraw(tops=packed, sizes=scan.sizes)


def merge_shards(shards: Iterable[ShardDraw], strata: Sequence[Stratum]) -> ObjectDraw:
    """Merge per-stratum top-k of the shards: the same answer as one pass over the whole population."""
    shards = list(shards)
    sizes = {s.label: 0 for s in strata}
    starts: list[int] = []  # each shard's first line in the population: the shards are its parts in order
    for shard in shards:
        starts.append(sum(sizes.values()))
        for label, n in shard.sizes.items():
            sizes[label] += n
    _check_sizes(sizes, strata)
    chosen: list[tuple[bytes, bytes, str, int]] = []
    with gc_paused():
        for s in strata:
            cands = [  # in key order: the shards are the population's parts in order
                c
                for shard, start in zip(shards, starts, strict=True)
                for c in shard.candidates(s.label, start)
            ]
            if len(cands) < s.quota:  # only with bounds (sizes checked): see _ticket_bounds
                raise _BoundTooLow
            cands.sort(key=_ticket)
            chosen.extend((t, k, s.label, line) for t, k, line in cands[: s.quota])
            del cands
        ordered, lines = _in_ticket_order(chosen)
    return ObjectDraw(selected=ordered, population_sha256=None, sizes=sizes, lines=lines)


class _NotFast(Exception):
    """The bytes are not a well-formed sorted population.tsv: leave it to the validating scan and its error."""


_FAST_BLOCK = 1 << 22


def _shard_from_sorted_tsv(
    seed: bytes, read: Callable[[int], bytes], strata: Sequence[Stratum], *, bounded: bool = False
) -> ShardDraw:
    """``draw_shard`` over population.tsv bytes whose digest matched the commitment (so they are the
    population validated when the commitment was built), without the per-line (label, key) pairs.

    Lines are split per block; a stratum's lines are one contiguous run (the lines are sorted), found by
    bisection, and its keys are its lines without the label, cut in C. What the grouping relies on is checked
    (sorted lines, one TAB per line, non-empty keys, no CR or NUL, known labels, a final LF); anything else
    raises _NotFast. UTF-8 and NFC are what the digest vouches for. ``bounded``: see ``_ticket_bounds``.
    """
    _check_seed(seed)
    quotas = {s.label: s.quota for s in strata}
    tops: dict[str, _TopK] = {}
    hook = _ticket_hook(seed, tops, quotas, _ticket_bounds(strata) if bounded else None)
    packed: dict[str, tuple[bytes, bytes, bytes]] = {}
    sizes: dict[str, int] = {}
    labels: dict[bytes, str] = {}
    current: str | None = None
    previous = b""
    rest = b""
    base = 0  # lines before this block
    with gc_paused():
        while True:
            block = read(_FAST_BLOCK)
            if not block:
                break
            data = rest + block
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            rest = data[cut + 1 :]
            data = data[:cut]
            if b"\r" in data or b"\x00" in data:
                raise _NotFast
            lines = data.split(b"\n")
            if not previous < lines[0] or not all(map(lt, lines, islice(lines, 1, None))):
                raise _NotFast
            # Every line of a run below starts with its label and a TAB (bisection): as many TABs as lines
            # is one each. An empty key ends a line with its TAB.
            if data.count(b"\t") != len(lines) or b"\t\n" in data or data.endswith(b"\t"):
                raise _NotFast
            previous = lines[-1]
            i, n = 0, len(lines)
            while i < n:
                tab = lines[i].find(b"\t")
                if tab <= 0:
                    raise _NotFast
                prefix = lines[i][: tab + 1]
                j = bisect_left(lines, prefix + b"\xff", i)  # keys are UTF-8: no 0xff byte
                if j == i:
                    raise _NotFast  # a 0xff byte: not UTF-8
                # Each line without its label, in C (splitting the joined run at LF + label cost 3-5 times
                # as much with a long label: benchmarks/bench_draw.py).
                keys = list(map(itemgetter(slice(tab + 1, None)), lines[i:j]))
                label = labels.get(prefix[:-1])
                if label is None:
                    label = labels[prefix[:-1]] = prefix[:-1].decode("utf-8")
                    if label not in quotas or label in sizes:
                        raise _NotFast
                if label != current:
                    if current is not None:
                        top = tops.pop(current, None)
                        if top is not None:
                            packed[current] = _pack(top.result())
                    current = label
                    sizes[label] = 0
                sizes[label] += len(keys)
                for a in range(0, len(keys), CHUNK):
                    hook(label, keys[a : a + CHUNK], base + i + a)
                i = j
            base += n
        if rest:
            raise _NotFast
        if current is not None:
            top = tops.pop(current, None)
            if top is not None:
                packed[current] = _pack(top.result())
    return ShardDraw(tops=packed, sizes=sizes)


def _check_population_digest(actual: str | None, committed: str) -> None:
    if actual != committed:
        raise IntegrityError(
            "检查对象名录与承诺的 population_sha256 不符（名录在承诺后被改动）",
            "the population does not match population_sha256 of the commitment (changed after the commitment)",
        )


def _check_sizes(sizes: Mapping[str, int], strata: Sequence[Stratum]) -> None:
    for s in strata:
        if sizes.get(s.label, 0) != s.size:
            raise IntegrityError(
                f"分层 {s.label} 实有 {sizes.get(s.label, 0)} 个检查对象，与承诺的 {s.size} 个不符",
                f"stratum {s.label} has {sizes.get(s.label, 0)} entities, the commitment says {s.size}",
            )


def draw_objects(
    seed: bytes,
    population: Iterable[tuple[str, str]],
    strata: Sequence[Stratum],
    *,
    population_sha256: str | None = None,
) -> ObjectDraw:
    """Draw the objects in one pass over the sorted population (the committed one).

    ``strata`` are the committed strata (their sizes fix the quotas). With ``population_sha256`` (the
    commitment's), the digest computed in the same pass must match it, which proves the stream is the
    committed population (validated, keys unique, when the commitment was built).
    """
    _check_seed(seed)
    quotas = {s.label: s.quota for s in strata}
    tops: dict[str, _TopK] = {}
    chosen: list[tuple[bytes, bytes, str, int]] = []

    def on_stratum_end(label: str, size: int) -> None:
        # A stratum is one contiguous run: once it ends, only its selection needs keeping.
        top = tops.pop(label, None)
        if top is not None:
            chosen.extend((t, k, label, line) for t, k, line in top.result())

    scan = scan_population(
        population, labels=quotas, on_chunk=_ticket_hook(seed, tops, quotas), on_stratum_end=on_stratum_end
    )
    if population_sha256 is not None:
        _check_population_digest(scan.sha256, population_sha256)
    _check_sizes(scan.sizes, strata)
    with gc_paused():
        ordered, lines = _in_ticket_order(chosen)
    return ObjectDraw(selected=ordered, population_sha256=scan.sha256, sizes=scan.sizes, lines=lines)


# ------------------------------------------------------------------------------------------ sharded

PopulationSource = Callable[[], Iterable[tuple[str, str]]]


def _shard_worker(args: tuple[bytes, PopulationSource, Sequence[Stratum], bool]) -> ShardDraw:
    seed, source, strata, bounded = args
    if isinstance(source, TsvFileRange):
        try:
            with open(source.path, "rb") as fh:
                fh.seek(source.start)
                read = _RangeReader(fh, source.end - source.start).read
                return _shard_from_sorted_tsv(seed, read, strata, bounded=bounded)
        except _NotFast:
            pass  # the validating scan below says what is wrong
    return draw_shard(seed, source(), strata)


def _pool_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def draw_objects_sharded(
    seed: bytes,
    sources: Sequence[PopulationSource],
    strata: Sequence[Stratum],
    *,
    processes: int = 2,
) -> ObjectDraw:
    """Draw per shard in ``processes`` worker processes and merge: the same answer as ``draw_objects``.

    Each source is a picklable zero-argument callable yielding one sorted part of the population (the parts
    together are the population, each line in exactly one part). SHA-256 cannot be split across shards, so
    the population digest is not computed here: check it separately (``draw_objects_from_file`` does so).
    """
    _check_seed(seed)
    jobs = [(seed, src, strata, False) for src in sources]
    if processes <= 1 or len(jobs) <= 1:
        return merge_shards(map(_shard_worker, jobs), strata)
    with _pool_context().Pool(min(processes, len(jobs))) as pool:
        return merge_shards(pool.map(_shard_worker, jobs), strata)


@dataclass(frozen=True)
class TsvFileRange:
    """A picklable population source: the lines of a TSV file within a byte range (cut at line ends)."""

    path: str
    start: int
    end: int

    def __call__(self) -> Iterator[tuple[str, str]]:
        with open(self.path, "rb") as fh:
            fh.seek(self.start)
            yield from iter_tsv_pairs(cast(IO[bytes], _RangeReader(fh, self.end - self.start)))


class _RangeReader:
    """The next ``size`` bytes of a file, read block by block: a shard worker's memory follows its blocks, not
    the size of its range."""

    def __init__(self, fh: IO[bytes], size: int) -> None:
        self._fh = fh
        self._left = size

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(self._left if size < 0 else min(size, self._left)) if self._left > 0 else b""
        self._left = self._left - len(data) if data else 0
        return data


def split_tsv_file(path: PathLike, parts: int) -> list[TsvFileRange]:
    """Cut a TSV file into ``parts`` byte ranges that end at line ends."""
    path = os.fspath(path)
    size = os.path.getsize(path)
    cuts = [0]
    with open(path, "rb") as fh:
        for i in range(1, parts):
            pos = max(size * i // parts, cuts[-1])
            fh.seek(pos)
            fh.readline()
            cuts.append(min(fh.tell(), size) if pos > 0 else 0)
    cuts.append(size)
    return [TsvFileRange(path, a, b) for a, b in pairwise(cuts) if b > a]


def _file_digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def draw_objects_from_file(
    seed: bytes,
    path: PathLike,
    strata: Sequence[Stratum],
    *,
    population_sha256: str,
    processes: int = 1,
) -> ObjectDraw:
    """Draw from a stored population.tsv, checking it against the commitment's digest.

    With ``processes`` > 1 the file is cut into contiguous ranges drawn in parallel while this process
    hashes the whole file; every range is checked in order, and the boundaries between ranges too.
    """
    _check_seed(seed)
    try:
        return _draw_file(seed, os.fspath(path), strata, population_sha256, processes, bounded=True)
    except _BoundTooLow:
        return _draw_file(seed, os.fspath(path), strata, population_sha256, processes, bounded=False)


def _draw_file(
    seed: bytes,
    path: str,
    strata: Sequence[Stratum],
    population_sha256: str,
    processes: int,
    *,
    bounded: bool,
) -> ObjectDraw:
    if processes <= 1:
        _check_population_digest(_file_digest(path), population_sha256)
        try:
            with open(path, "rb") as fh:
                shard = _shard_from_sorted_tsv(seed, fh.read, strata, bounded=bounded)
        except _NotFast:
            return draw_objects(seed, iter_tsv_pairs(path), strata, population_sha256=population_sha256)
        merged = merge_shards([shard], strata)
        return ObjectDraw(merged.selected, population_sha256, merged.sizes, merged.lines)
    ranges = split_tsv_file(path, processes)
    jobs = [(seed, r, strata, bounded) for r in ranges]
    with _pool_context().Pool(len(jobs)) as pool:
        pending = pool.map_async(_shard_worker, jobs)
        digest = _file_digest(path)
        shards = pending.get()
    _check_population_digest(digest, population_sha256)
    _check_boundaries(ranges)
    merged = merge_shards(shards, strata)
    return ObjectDraw(merged.selected, digest, merged.sizes, merged.lines)


def _check_boundaries(ranges: Collection[TsvFileRange]) -> None:
    prev_last: bytes | None = None
    for r in ranges:
        with open(r.path, "rb") as fh:
            fh.seek(r.start)
            first = fh.readline()
            fh.seek(max(r.start, r.end - 65536))
            tail = fh.read(r.end - fh.tell())
        last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1] + b"\n"
        if prev_last is not None and not first > prev_last:
            raise IntegrityError(
                "population.tsv 的行未按顺序排列", "lines of population.tsv are out of order"
            )
        prev_last = last
