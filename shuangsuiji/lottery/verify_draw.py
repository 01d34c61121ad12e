#!/usr/bin/env python3
"""verify_draw.py — independent verifier of a 双随机 draw bundle (protocol ssj-draw/1).

核验一次“双随机”抽取的结果包：只用 Python 标准库（3.8 及以上），不依赖数据库或本系统的任何代码。
Verifies a draw bundle with the Python standard library alone (3.8 or later); it needs nothing else.

    python3 verify_draw.py BUNDLE.zip        # or a directory holding the bundle's files

It recomputes every digest, quota, ticket, team, substitution (递补) and manual replacement (调整更换)
from the bundle's inputs and compares them with result.json. It prints "OK: …" and exits 0 only if
everything checks out; otherwise it prints the first discrepancy and exits 1.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import io
import json
import os
import re
import sys
import unicodedata
import zipfile
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import IO, Any

PROTOCOL = "ssj-draw/1"
MEMBERS = (
    "commitment.json",
    "population.tsv",
    "exclusions.tsv",
    "pool.tsv",
    "conflicts.tsv",
    "reveal.json",
    "result.json",
)
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_ISO_WITH_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}:\d{2}|Z)\Z")


class Discrepancy(Exception):
    """The first thing in the bundle that does not check out (Chinese and English)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh + " / " + en)
        self.zh = zh
        self.en = en


def _fail(zh: str, en: str) -> Discrepancy:
    return Discrepancy(zh, en)


# --------------------------------------------------------------------------------------- reading


class _Bundle:
    """The bundle's members, from a zip file or a directory."""

    def __init__(self, source: str | os.PathLike[str] | IO[bytes]) -> None:
        self._zip: zipfile.ZipFile | None = None
        self._dir: str | None = None
        if isinstance(source, (str, os.PathLike)) and os.path.isdir(source):
            self._dir = os.fspath(source)
            for name in MEMBERS:
                if not os.path.isfile(os.path.join(self._dir, name)):
                    raise _fail("结果包缺少文件 " + name, "the bundle lacks " + name)
            return
        try:
            self._zip = zipfile.ZipFile(source)
        except (OSError, zipfile.BadZipFile) as exc:
            raise _fail("无法打开结果包：" + str(exc), "cannot open the bundle: " + str(exc)) from None
        names = self._zip.namelist()
        counts = Counter(names)
        for name in MEMBERS:
            if counts[name] == 0:
                raise _fail("结果包缺少文件 " + name, "the bundle lacks " + name)
            if counts[name] > 1:
                raise _fail(
                    "结果包中 " + name + " 出现了不止一次", name + " appears more than once in the bundle"
                )

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def open(self, name: str) -> IO[bytes]:
        try:
            if self._zip is not None:
                return self._zip.open(name)
            if not (self._dir is not None):
                raise RuntimeError("internal invariant broken: self._dir is not None")
            return open(os.path.join(self._dir, name), "rb")
        except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
            raise _fail(
                "无法读取 " + name + "：" + str(exc), "cannot read " + name + ": " + str(exc)
            ) from None

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            try:
                return fh.read()
            except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
                raise _fail(
                    "无法读取 " + name + "：" + str(exc), "cannot read " + name + ": " + str(exc)
                ) from None

    def sha256(self, name: str) -> str:
        h = hashlib.sha256()
        with self.open(name) as fh:
            try:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
                raise _fail(
                    "无法读取 " + name + "：" + str(exc), "cannot read " + name + ": " + str(exc)
                ) from None
        return h.hexdigest()


# ------------------------------------------------------------------------------------------ JSON


def _no_floats(text: str) -> Any:
    raise ValueError("number " + text + " is not an integer")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError("duplicate key " + repr(k))
        out[k] = v
    return out


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _load_json(data: bytes, name: str) -> Any:
    try:
        obj = json.loads(
            data.decode("utf-8"),
            parse_float=_no_floats,
            parse_constant=_no_floats,
            object_pairs_hook=_no_duplicates,
        )
        canonical = _canonical(obj)
    except (UnicodeError, ValueError) as exc:
        raise _fail(
            name + " 不是有效的 JSON：" + str(exc), name + " is not valid JSON: " + str(exc)
        ) from None
    if canonical != data:
        raise _fail(name + " 不是规范 JSON（键排序、无空格、UTF-8）", name + " is not canonical JSON")
    return obj


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_hex64(v: object) -> bool:
    return isinstance(v, str) and _HEX64.match(v) is not None


def _key_problem(v: object) -> str | None:
    if not isinstance(v, str):
        return "not a string"
    if v == "":
        return "empty"
    for ch, name in (("\t", "TAB"), ("\n", "LF"), ("\r", "CR"), ("\x00", "NUL")):
        if ch in v:
            return "contains " + name
    try:
        v.encode("utf-8")
    except UnicodeError:
        return "not valid Unicode"
    if not unicodedata.is_normalized("NFC", v):
        return "not in Unicode NFC"
    return None


def _schema(cond: bool, name: str, what: str) -> None:
    if not cond:
        raise _fail(name + " 的结构不符合协议：" + what, name + " does not follow the protocol: " + what)


def _check_key(v: object, name: str, what: str) -> None:
    problem = _key_problem(v)
    if problem is not None:
        raise _fail(
            name + " 中的" + what + "无效（" + problem + "）：" + repr(v),
            name + ": invalid " + what + " (" + problem + "): " + repr(v),
        )


def _quota(size: int, rate_bp: int) -> int:
    return min(size, (size * rate_bp + 9999) // 10000)


def _check_commitment(c: Any) -> None:
    n = "commitment.json"
    _schema(isinstance(c, dict), n, "not an object")
    keys = {
        "protocol",
        "task",
        "created_at",
        "population_sha256",
        "exclusions_sha256",
        "strata",
        "nonce_sha256",
        "teams",
    }
    _schema(set(c) == keys, n, "keys " + ", ".join(sorted(set(c) ^ keys)))
    _schema(c["protocol"] == PROTOCOL, n, "protocol is not " + PROTOCOL)
    _schema(isinstance(c["task"], str), n, "task")
    _schema(
        isinstance(c["created_at"], str) and _ISO_WITH_OFFSET.match(c["created_at"]) is not None,
        n,
        "created_at",
    )
    for k in ("population_sha256", "exclusions_sha256", "nonce_sha256"):
        _schema(_is_hex64(c[k]), n, k)
    strata = c["strata"]
    _schema(isinstance(strata, list) and len(strata) > 0, n, "strata")
    prev: str | None = None
    for s in strata:
        _schema(
            isinstance(s, dict) and set(s) == {"label", "name", "size", "rate_bp", "quota"}, n, "strata[]"
        )
        _check_key(s["label"], n, "分层标签 stratum label")
        _schema(isinstance(s["name"], str), n, "strata[].name")
        _schema(_is_int(s["size"]) and s["size"] >= 0, n, "strata[].size")
        _schema(_is_int(s["rate_bp"]), n, "strata[].rate_bp")
        if not 1 <= s["rate_bp"] <= 10000:
            raise _fail(
                f"分层 {s['label']} 的比例 {s['rate_bp']} 不在 1–10000 基点之间",
                f"rate_bp {s['rate_bp']} of stratum {s['label']} is out of range 1–10000",
            )
        want = _quota(s["size"], s["rate_bp"])
        if not _is_int(s["quota"]) or s["quota"] != want:
            raise _fail(
                f"分层 {s['label']} 的抽取数 {s['quota']!r} 应为 {want}（规模 {s['size']}，比例 {s['rate_bp']} 基点）",
                f"quota of stratum {s['label']} is {s['quota']!r}, should be {want} (size {s['size']}, rate {s['rate_bp']} bp)",
            )
        _schema(prev is None or prev < s["label"], n, "strata not sorted by label or duplicated")
        prev = s["label"]
    t = c["teams"]
    if t is None:
        return
    _schema(isinstance(t, dict) and set(t) == {"pool_sha256", "conflicts_sha256", "departments"}, n, "teams")
    _schema(_is_hex64(t["pool_sha256"]) and _is_hex64(t["conflicts_sha256"]), n, "teams digests")
    depts = t["departments"]
    _schema(isinstance(depts, list) and len(depts) > 0, n, "departments")
    prev = None
    leads = 0
    for d in depts:
        _schema(isinstance(d, dict) and set(d) == {"code", "name", "per_object", "lead"}, n, "departments[]")
        _check_key(d["code"], n, "部门代码 department code")
        _schema(isinstance(d["name"], str), n, "departments[].name")
        _schema(_is_int(d["per_object"]) and d["per_object"] >= 1, n, "departments[].per_object")
        _schema(isinstance(d["lead"], bool), n, "departments[].lead")
        leads += 1 if d["lead"] else 0
        _schema(prev is None or prev < d["code"], n, "departments not sorted by code or duplicated")
        prev = d["code"]
    if leads != 1:
        raise _fail(
            f"应恰有一个牵头部门，实有 {leads} 个", f"exactly one lead department is required, found {leads}"
        )


def _check_result_schema(r: Any) -> None:
    n = "result.json"
    _schema(isinstance(r, dict), n, "not an object")
    keys = {"protocol", "commitment_sha256", "seed", "selected", "teams", "substitutions", "replacements"}
    _schema(set(r) == keys, n, "keys " + ", ".join(sorted(set(r) ^ keys)))
    _schema(r["protocol"] == PROTOCOL, n, "protocol is not " + PROTOCOL)
    _schema(_is_hex64(r["commitment_sha256"]) and _is_hex64(r["seed"]), n, "commitment_sha256/seed")
    _schema(isinstance(r["selected"], list), n, "selected")
    for s in r["selected"]:
        _schema(isinstance(s, dict) and set(s) == {"key", "stratum", "ticket"}, n, "selected[]")
    if r["teams"] is not None:
        _schema(isinstance(r["teams"], list), n, "teams")
        for t in r["teams"]:
            _schema(isinstance(t, dict) and set(t) == {"entity", "members"}, n, "teams[]")
            _schema(isinstance(t["members"], list), n, "teams[].members")
            for m in t["members"]:
                _schema(
                    isinstance(m, dict) and set(m) == {"department", "inspector", "leader"}, n, "members[]"
                )
                _schema(isinstance(m["leader"], bool), n, "members[].leader")
    sub_keys = {"seq", "entity", "department", "out", "in", "reason"}
    _schema(isinstance(r["substitutions"], list), n, "substitutions")
    for ch in r["substitutions"]:
        _schema(isinstance(ch, dict) and set(ch) == sub_keys, n, "substitutions[]")
    _schema(isinstance(r["replacements"], list), n, "replacements")
    for ch in r["replacements"]:
        _schema(isinstance(ch, dict) and set(ch) == sub_keys | {"approved_by"}, n, "replacements[]")
    for ch in list(r["substitutions"]) + list(r["replacements"]):
        _schema(_is_int(ch["seq"]), n, "seq")
        for k in ("entity", "department", "out", "in", "reason"):
            _schema(isinstance(ch[k], str), n, k)
        if "approved_by" in ch:
            _schema(isinstance(ch["approved_by"], str) and ch["approved_by"].strip() != "", n, "approved_by")


# ------------------------------------------------------------------------------------------- TSV


def _tsv_lines(fh: IO[bytes], name: str) -> Iterator[tuple[str, str]]:
    """The records of a canonical two-field TSV stream, each checked: encoding, fields, order."""
    prev: bytes | None = None
    n = 0
    for raw in fh:
        n += 1
        where_zh = f"{name} 第 {n} 行"
        where_en = f"{name} line {n}"
        if not raw.endswith(b"\n"):
            raise _fail(where_zh + "未以换行符 LF 结尾", where_en + " does not end in LF")
        line = raw[:-1]
        try:
            text = line.decode("utf-8")
        except UnicodeError:
            raise _fail(where_zh + "不是有效的 UTF-8", where_en + " is not valid UTF-8") from None
        fields = text.split("\t")
        if len(fields) != 2:
            raise _fail(
                where_zh + f"应有 2 个以 TAB 分隔的字段，实有 {len(fields)} 个",
                where_en + f" should have 2 TAB-separated fields, has {len(fields)}",
            )
        for f in fields:
            problem = _key_problem(f)
            if problem is not None:
                raise _fail(
                    where_zh + "的字段无效（" + problem + "）", where_en + ": invalid field (" + problem + ")"
                )
        if prev is not None and line <= prev:
            if line == prev:
                raise _fail(where_zh + "重复", where_en + " is a duplicate")
            raise _fail(where_zh + "未按 UTF-8 字节顺序排列", where_en + " is out of UTF-8 byte order")
        prev = line
        yield fields[0], fields[1]


def _small_tsv(bundle: _Bundle, name: str) -> list[tuple[str, str]]:
    data = bundle.read(name)
    return list(_tsv_lines(io.BytesIO(data), name))


# ----------------------------------------------------------------------------------------- draw


class _Stratum:
    def __init__(self, obj: dict[str, Any]) -> None:
        self.label: str = obj["label"]
        self.size: int = obj["size"]
        self.quota: int = obj["quota"]
        self.seen = 0


def _draw_objects(
    bundle: _Bundle, seed: bytes, strata: dict[str, _Stratum], excluded: set[str]
) -> list[tuple[bytes, str, str]]:
    """Recompute the selection: (ticket, key, stratum) for the quota smallest tickets of each stratum."""
    prefix = seed + b"obj\x00"
    sha256 = hashlib.sha256
    buckets = [array("q") for _ in range(64)]
    selected: list[tuple[bytes, str, str]] = []
    done: set[str] = set()

    def tickets(group: Iterable[tuple[str, str]], stratum: _Stratum) -> Iterator[tuple[bytes, bytes]]:
        for _, key in group:
            stratum.seen += 1
            if key in excluded:
                raise _fail(
                    "检查对象 " + key + " 既在 population.tsv 中又在 exclusions.tsv 中",
                    "entity " + key + " is both in population.tsv and in exclusions.tsv",
                )
            h = hash(key)
            buckets[h & 63].append(h)
            kb = key.encode("utf-8")
            yield sha256(prefix + kb).digest(), kb

    with bundle.open("population.tsv") as fh:
        for label, group in groupby(_tsv_lines(fh, "population.tsv"), key=lambda rec: rec[0]):
            stratum = strata.get(label)
            if stratum is None:
                raise _fail(
                    "population.tsv 中的分层 " + label + " 不在承诺的分层中",
                    "stratum " + label + " of population.tsv is not among the committed strata",
                )
            if label in done:
                raise _fail(
                    "population.tsv 中分层 " + label + " 的行不连续",
                    "stratum " + label + " is not contiguous",
                )
            done.add(label)
            best = heapq.nsmallest(stratum.quota, tickets(group, stratum)) if stratum.quota else None
            if best is None:
                for _ in tickets(group, stratum):
                    pass
                best = []
            selected.extend((t, kb.decode("utf-8"), label) for t, kb in best)
    for s in strata.values():
        if s.seen != s.size:
            raise _fail(
                f"分层 {s.label} 在 population.tsv 中有 {s.seen} 个对象，承诺中为 {s.size} 个",
                f"stratum {s.label} has {s.seen} entities in population.tsv, the commitment says {s.size}",
            )
    suspects: set[int] = set()
    for arr in buckets:
        if len(set(arr)) != len(arr):
            suspects.update(h for h, c in Counter(arr).items() if c > 1)
    if suspects:
        home: dict[str, str] = {}
        with bundle.open("population.tsv") as fh:
            for label, key in _tsv_lines(fh, "population.tsv"):
                if hash(key) in suspects:
                    if key in home:
                        raise _fail(
                            f"检查对象 {key} 同时在分层 {home[key]} 和 {label} 中",
                            f"entity {key} is in two strata, {home[key]} and {label}",
                        )
                    home[key] = label
    selected.sort(key=lambda s: (s[0], s[1].encode("utf-8")))
    return selected


def _team_ticket(seed: bytes, entity: str, dept: str, inspector: str) -> bytes:
    data = seed + b"team\x00" + entity.encode("utf-8") + b"\x00" + dept.encode("utf-8") + b"\x00"
    return hashlib.sha256(data + inspector.encode("utf-8")).digest()


class _Teams:
    """Pool, conflicts and the rankings of a team draw."""

    def __init__(
        self,
        seed: bytes,
        departments: list[dict[str, Any]],
        pool: list[tuple[str, str]],
        conflicts: list[tuple[str, str]],
    ) -> None:
        self.seed = seed
        self.departments = departments
        self.codes = [d["code"] for d in departments]
        self.pool: dict[str, list[str]] = {code: [] for code in self.codes}
        home: dict[str, str] = {}
        for code, inspector in pool:
            if code not in self.pool:
                raise _fail(
                    "pool.tsv 中的部门 " + code + " 不在承诺的部门中",
                    "department " + code + " of pool.tsv is not among the committed departments",
                )
            if inspector in home:
                raise _fail(
                    f"执法检查人员 {inspector} 同时属于部门 {home[inspector]} 和 {code}",
                    f"inspector {inspector} is in two departments, {home[inspector]} and {code}",
                )
            home[inspector] = code
            self.pool[code].append(inspector)
        self.conflicts: set[tuple[str, str]] = set(conflicts)

    def ranking(self, entity: str, code: str) -> list[str]:
        candidates = [i for i in self.pool[code] if (i, entity) not in self.conflicts]
        return sorted(candidates, key=lambda i: (_team_ticket(self.seed, entity, code, i), i.encode("utf-8")))

    def draw(self, entities: list[str]) -> list[dict[str, Any]]:
        """The literal §6 procedure: caps, a walk of each ranking, a second walk ignoring caps."""
        load: dict[str, int] = {}
        teams = []
        for entity in entities:
            members: list[dict[str, Any]] = []
            for d in self.departments:
                code = d["code"]
                need = d["per_object"]
                size = len(self.pool[code])
                cap = -(-len(entities) * need // size) if size else 0
                rank = self.ranking(entity, code)
                taken: list[str] = []
                for i in rank:
                    if len(taken) == need:
                        break
                    if load.get(i, 0) < cap:
                        taken.append(i)
                for i in rank:
                    if len(taken) == need:
                        break
                    if i not in taken:
                        taken.append(i)
                if len(taken) < need:
                    raise _fail(
                        f"无法为检查对象 {entity} 从部门 {code} 抽足 {need} 人，结果不可能成立",
                        f"department {code} cannot supply {need} inspectors for entity {entity}: no such draw is possible",
                    )
                for i in taken:
                    load[i] = load.get(i, 0) + 1
                first = bool(d["lead"])
                for i in sorted(taken, key=rank.index):
                    members.append({"department": code, "inspector": i, "leader": first})
                    first = False
            teams.append({"entity": entity, "members": members})
        return teams


def _describe_member(m: Any) -> str:
    if isinstance(m, dict):
        return "{}/{}{}".format(
            m.get("department"), m.get("inspector"), " (组长 leader)" if m.get("leader") is True else ""
        )
    return repr(m)


def _compare_teams(expected: list[dict[str, Any]], got: Any) -> None:
    if not isinstance(got, list):
        raise _fail("result.json 缺少检查小组", "result.json lacks the teams")
    for i, exp in enumerate(expected):
        if i >= len(got):
            raise _fail(
                "result.json 少了检查对象 {} 的检查小组".format(exp["entity"]),
                "result.json lacks the team for {}".format(exp["entity"]),
            )
        g = got[i]
        if g.get("entity") != exp["entity"]:
            raise _fail(
                f"第 {i + 1} 个检查小组应属于 {exp['entity']}，结果包记为 {g.get('entity')!r}",
                f"team {i + 1} should be for {exp['entity']}, the bundle says {g.get('entity')!r}",
            )
        gm = g.get("members")
        for j, m in enumerate(exp["members"]):
            if not isinstance(gm, list) or j >= len(gm) or gm[j] != m:
                have = _describe_member(gm[j]) if isinstance(gm, list) and j < len(gm) else "nothing"
                raise _fail(
                    f"检查对象 {exp['entity']} 的检查小组第 {j + 1} 名成员应为 {_describe_member(m)}，结果包记为 {have}",
                    f"team for {exp['entity']}, member {j + 1}: expected {_describe_member(m)}, the bundle says {have}",
                )
        if len(gm) != len(exp["members"]):
            raise _fail(
                "检查对象 {} 的检查小组多出了成员".format(exp["entity"]),
                "the team for {} has extra members".format(exp["entity"]),
            )
    if len(got) != len(expected):
        raise _fail("result.json 多出了检查小组", "result.json has extra teams")


def _replay_changes(teams: _Teams, drawn: list[dict[str, Any]], result: dict[str, Any]) -> None:
    changes = [("substitution", c) for c in result["substitutions"]] + [
        ("replacement", c) for c in result["replacements"]
    ]
    for kind in ("substitutions", "replacements"):
        seqs = [c["seq"] for c in result[kind]]
        if seqs != sorted(seqs):
            raise _fail(
                "result.json 的 " + kind + " 未按 seq 排列", kind + " in result.json are not in seq order"
            )
    changes.sort(key=lambda kc: int(kc[1]["seq"]))
    seqs = [c["seq"] for _, c in changes]
    if seqs != list(range(1, len(changes) + 1)):
        raise _fail(
            f"递补与调整的 seq 应为 1, 2, 3, … 连续编号：{seqs!r}",
            f"change seq numbers must be 1, 2, 3, …: {seqs!r}",
        )
    current: dict[str, list[list[Any]]] = {
        t["entity"]: [[m["department"], m["inspector"], m["leader"]] for m in t["members"]] for t in drawn
    }
    left: dict[str, set[str]] = {}
    for kind, c in changes:
        seq, entity, code, out, new = c["seq"], c["entity"], c["department"], c["out"], c["in"]
        tag_zh = f"第 {seq} 项变更（{'递补' if kind == 'substitution' else '调整更换'}）"
        tag_en = f"change {seq} ({kind})"
        members = current.get(entity)
        if members is None:
            raise _fail(
                tag_zh + f"：检查对象 {entity} 没有检查小组", tag_en + f": entity {entity} has no team"
            )
        if code not in teams.pool:
            raise _fail(
                tag_zh + f"：部门 {code} 不在本次抽取中", tag_en + f": department {code} is not in the draw"
            )
        place = [m for m in members if m[0] == code and m[1] == out]
        if not place:
            raise _fail(
                tag_zh + f"：{out} 此时不是 {entity} 检查小组中部门 {code} 的成员",
                tag_en + f": {out} is not then a member of department {code} on the team for {entity}",
            )
        on_team = {m[1] for m in members}
        gone = left.setdefault(entity, set())
        if kind == "substitution":
            expected = None
            for i in teams.ranking(entity, code):
                if i not in on_team and i not in gone:
                    expected = i
                    break
            if expected is None:
                raise _fail(
                    tag_zh + f"：部门 {code} 已无人可递补，记录为 {new}",
                    tag_en + f": nobody of department {code} is left to substitute, the bundle says {new}",
                )
            if new != expected:
                raise _fail(
                    tag_zh + f"：递补人员应为 {expected}，结果包记为 {new}",
                    tag_en + f": the substitute is {expected}, the bundle says {new}",
                )
        else:
            if new not in teams.pool[code]:
                raise _fail(
                    tag_zh + f"：{new} 不在部门 {code} 的执法检查人员库中",
                    tag_en + f": {new} is not in the pool of department {code}",
                )
            if (new, entity) in teams.conflicts:
                raise _fail(
                    tag_zh + f"：{new} 与检查对象 {entity} 需回避",
                    tag_en + f": {new} is in conflict with entity {entity}",
                )
            if new in on_team:
                raise _fail(tag_zh + f"：{new} 已在该检查小组中", tag_en + f": {new} is already on the team")
        place[0][1] = new
        gone.add(out)


class Summary:
    """What a successful verification found."""

    def __init__(self) -> None:
        self.task = ""
        self.commitment_sha256 = ""
        self.seed = ""
        self.population = 0
        self.strata = 0
        self.selected = 0
        self.teams: int | None = None
        self.substitutions = 0
        self.replacements = 0

    def lines(self) -> list[str]:
        zh = (
            f"OK: 抽取结果核验通过（{PROTOCOL}）任务“{self.task}”：承诺 {self.commitment_sha256}，"
            f"种子 {self.seed}；名录 {self.population} 个对象、{self.strata} 个分层，抽中 {self.selected} 个"
        )
        en = (
            f"OK: draw verified ({PROTOCOL}), task {self.task!r}: commitment {self.commitment_sha256}, "
            f"seed {self.seed}; {self.population} entities in {self.strata} strata, {self.selected} selected"
        )
        if self.teams is not None:
            zh += (
                f"；检查小组 {self.teams} 个，递补 {self.substitutions} 项（抽取所得），"
                f"人工调整更换 {self.replacements} 项（非抽取，已核对人员库、回避和重复）"
            )
            en += (
                f"; {self.teams} teams, {self.substitutions} substitutions (drawn), {self.replacements} manual "
                "replacements (not drawn; checked against pool, conflicts and team)"
            )
        return [zh + "。", en + "."]


def verify(source: str | os.PathLike[str] | IO[bytes]) -> Summary:
    """Verify a bundle (zip path, zip file object, or directory); raise Discrepancy at the first problem."""
    bundle = _Bundle(source)
    try:
        return _verify(bundle)
    finally:
        bundle.close()


def _verify(bundle: _Bundle) -> Summary:
    summary = Summary()
    commitment_bytes = bundle.read("commitment.json")
    commitment = _load_json(commitment_bytes, "commitment.json")
    _check_commitment(commitment)
    result = _load_json(bundle.read("result.json"), "result.json")
    _check_result_schema(result)
    reveal = _load_json(bundle.read("reveal.json"), "reveal.json")
    _schema(
        isinstance(reveal, dict) and set(reveal) == {"server_nonce", "ceremony_entropy"},
        "reveal.json",
        "keys",
    )
    _schema(_is_hex64(reveal["server_nonce"]), "reveal.json", "server_nonce")
    _schema(isinstance(reveal["ceremony_entropy"], str), "reveal.json", "ceremony_entropy")

    commitment_sha256 = hashlib.sha256(commitment_bytes).hexdigest()
    if result["commitment_sha256"] != commitment_sha256:
        raise _fail(
            "result.json 记录的承诺摘要 {} 与 commitment.json 的 SHA-256 {} 不符".format(
                result["commitment_sha256"], commitment_sha256
            ),
            "result.json names commitment {}, but SHA-256 of commitment.json is {}".format(
                result["commitment_sha256"], commitment_sha256
            ),
        )
    nonce = bytes.fromhex(reveal["server_nonce"])
    if hashlib.sha256(nonce).hexdigest() != commitment["nonce_sha256"]:
        raise _fail(
            "reveal.json 公开的 server_nonce 与承诺中的 nonce_sha256 不符",
            "server_nonce in reveal.json does not match nonce_sha256 of the commitment",
        )
    entropy = reveal["ceremony_entropy"]
    try:
        entropy_nfc = unicodedata.is_normalized("NFC", entropy) and entropy.encode("utf-8") is not None
    except UnicodeError:
        entropy_nfc = False
    if not entropy_nfc:
        raise _fail(
            "reveal.json 的现场随机数不是 NFC 规范的文本", "ceremony_entropy in reveal.json is not NFC text"
        )
    seed = hashlib.sha256(
        PROTOCOL.encode("ascii")
        + b"\x00"
        + bytes.fromhex(commitment_sha256)
        + nonce
        + entropy.encode("utf-8")
    ).digest()
    if result["seed"] != seed.hex():
        raise _fail(
            "种子应为 {}，result.json 记为 {}".format(seed.hex(), result["seed"]),
            "the seed is {}, result.json says {}".format(seed.hex(), result["seed"]),
        )

    teams_c = commitment["teams"]
    digests = [
        ("population.tsv", commitment["population_sha256"]),
        ("exclusions.tsv", commitment["exclusions_sha256"]),
        ("pool.tsv", teams_c["pool_sha256"] if teams_c else None),
        ("conflicts.tsv", teams_c["conflicts_sha256"] if teams_c else None),
    ]
    for name, want in digests:
        got = bundle.sha256(name)
        if want is None:
            if got != hashlib.sha256(b"").hexdigest():
                raise _fail(
                    name + " 在仅抽取检查对象时应为空文件", name + " must be empty in an object-only draw"
                )
        elif got != want:
            raise _fail(
                f"{name} 的 SHA-256 为 {got}，与承诺中的 {want} 不符（文件在承诺后被改动）",
                f"SHA-256 of {name} is {got}, the commitment says {want} (changed after the commitment)",
            )

    excluded = {key for key, _ in _small_tsv(bundle, "exclusions.tsv")}
    strata = {s["label"]: _Stratum(s) for s in commitment["strata"]}
    selected = _draw_objects(bundle, seed, strata, excluded)
    got_sel = result["selected"]
    for i, (ticket, key, label) in enumerate(selected):
        if i >= len(got_sel):
            break
        want = {"key": key, "stratum": label, "ticket": ticket.hex()}
        have = got_sel[i] if i < len(got_sel) else None
        if have != want:
            shown = json.dumps(have, ensure_ascii=False)
            raise _fail(
                f"抽中的第 {i + 1} 个检查对象应为 {key}（分层 {label}，票号 {ticket.hex()}），结果包记为 {shown}",
                f"selected entity {i + 1} should be {key} (stratum {label}, ticket {ticket.hex()}), the bundle says {shown}",
            )
    if len(got_sel) != len(selected):
        missing = selected[len(got_sel)][1] if len(got_sel) < len(selected) else None
        raise _fail(
            f"result.json 列出 {len(got_sel)} 个抽中对象，应为 {len(selected)} 个"
            + (f"（缺少 {missing}）" if missing else ""),
            f"result.json lists {len(got_sel)} selected entities, there should be {len(selected)}"
            + (f" (missing {missing})" if missing else ""),
        )

    summary.task = commitment["task"]
    summary.commitment_sha256 = commitment_sha256
    summary.seed = seed.hex()
    summary.population = sum(s.size for s in strata.values())
    summary.strata = len(strata)
    summary.selected = len(selected)
    if teams_c is None:
        if result["teams"] is not None or result["substitutions"] or result["replacements"]:
            raise _fail(
                "仅抽取检查对象的结果中不应有检查小组、递补或调整",
                "an object-only draw has no teams, substitutions or replacements",
            )
        return summary
    teams = _Teams(
        seed, teams_c["departments"], _small_tsv(bundle, "pool.tsv"), _small_tsv(bundle, "conflicts.tsv")
    )
    drawn = teams.draw([key for _, key, _ in selected])
    _compare_teams(drawn, result["teams"])
    _replay_changes(teams, drawn, result)
    summary.teams = len(drawn)
    summary.substitutions = len(result["substitutions"])
    summary.replacements = len(result["replacements"])
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify_draw.py",
        description="核验“双随机”抽取结果包 (ssj-draw/1) / verify a 双随机 draw bundle (ssj-draw/1)",
    )
    parser.add_argument(
        "bundle", help="结果包 .zip 或其解压目录 / the bundle .zip or a directory of its files"
    )
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    try:
        summary = verify(args.bundle)
    except Discrepancy as exc:
        print("不通过 FAILED: " + exc.zh)
        print("FAILED: " + exc.en)
        return 1
    except Exception as exc:  # a verifier must never say OK by accident, nor crash without a word
        print(f"不通过 FAILED: 核验程序无法处理该结果包：{exc!r}")
        print(f"FAILED: the verifier could not process the bundle: {exc!r}")
        return 1
    for line in summary.lines():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
