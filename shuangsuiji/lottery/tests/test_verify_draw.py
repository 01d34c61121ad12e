"""verify_draw.py: standalone, standard library only, Python 3.8 syntax, clear verdicts."""

from __future__ import annotations

import ast
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from shuangsuiji.lottery import read_bundle, verifier_source, verify_bundle
from shuangsuiji.lottery.bundle import VERIFIER_PATH
from shuangsuiji.lottery.tests.golden_cases import GOLDEN
from shuangsuiji.lottery.tests.helpers import bundle_bytes, bundle_members, canonical, run_verifier
from shuangsuiji.lottery.tests.test_golden import stored_bundle

SRC = VERIFIER_PATH.read_text(encoding="utf-8")
STDLIB_38 = {
    "__future__",
    "argparse",
    "array",
    "collections",
    "collections.abc",
    "hashlib",
    "heapq",
    "io",
    "itertools",
    "json",
    "os",
    "re",
    "sys",
    "typing",
    "unicodedata",
    "zipfile",
}
NEWER_THAN_38 = {
    "removeprefix",
    "removesuffix",
    "pairwise",
    "bit_count",
    "is_relative_to",
    "cache",
    "batched",
}


def annotation_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        anns = []
        if isinstance(node, ast.AnnAssign):
            anns.append(node.annotation)
        elif isinstance(node, ast.arg) and node.annotation is not None:
            anns.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            anns.append(node.returns)
        for a in anns:
            ids.update(id(n) for n in ast.walk(a))
    return ids


def test_verifier_parses_as_python_38() -> None:
    ast.parse(SRC, feature_version=(3, 8))


def test_verifier_imports_only_the_38_standard_library() -> None:
    tree = ast.parse(SRC)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name in STDLIB_38, alias.name
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module in STDLIB_38, node.module
    assert "shuangsuiji" not in SRC.split('"""', 2)[2]


def test_verifier_uses_no_runtime_feature_newer_than_38() -> None:
    tree = ast.parse(SRC)
    assert isinstance(tree.body[1], ast.ImportFrom) and tree.body[1].module == "__future__"
    in_annotation = annotation_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in in_annotation:
            continue
        if isinstance(node, ast.Attribute):
            assert node.attr not in NEWER_THAN_38, node.attr
        if isinstance(node, ast.Call):
            assert all(k.arg != "strict" for k in node.keywords), "zip(strict=) is 3.10+"
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            assert node.value.id not in {"list", "dict", "set", "tuple", "type", "frozenset"}, (
                "PEP 585 at runtime"
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            for side in (node.left, node.right):
                assert not (
                    isinstance(side, ast.Name) and side.id in {"str", "int", "bytes", "None", "dict", "list"}
                )
        assert not isinstance(node, ast.Match)


def test_bundles_embed_the_exact_verifier() -> None:
    data = stored_bundle(GOLDEN / "worked-example")
    assert read_bundle(io.BytesIO(data)).verifier == verifier_source() == VERIFIER_PATH.read_bytes()


@pytest.fixture
def team_bundle(tmp_path: Path) -> Path:
    path = tmp_path / "bundle.zip"
    path.write_bytes(stored_bundle(GOLDEN / "teams-substitutions"))
    return path


def test_verifier_runs_alone_from_the_bundle_in_an_isolated_interpreter(
    team_bundle: Path, tmp_path: Path
) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    with zipfile.ZipFile(team_bundle) as zf:
        (alone / "verify_draw.py").write_bytes(zf.read("verify_draw.py"))
    ok = subprocess.run(
        [sys.executable, "-I", "verify_draw.py", str(team_bundle)], cwd=alone, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("OK: 抽取结果核验通过")
    assert "4 substitutions (drawn), 2 manual replacements (not drawn" in ok.stdout

    members = bundle_members(team_bundle.read_bytes())
    members["population.tsv"] = members["population.tsv"].replace(b"\n", b"\nB\tZZZ\n", 1)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bundle_bytes(members))
    ko = subprocess.run(
        [sys.executable, "-I", "verify_draw.py", str(bad)], cwd=alone, capture_output=True, text=True
    )
    assert ko.returncode == 1
    assert "不通过 FAILED" in ko.stdout and "changed after the commitment" in ko.stdout


def test_verifier_runs_as_a_module(team_bundle: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "shuangsuiji.lottery.verify_draw", str(team_bundle)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_verifier_accepts_an_unpacked_directory(team_bundle: Path, tmp_path: Path) -> None:
    d = tmp_path / "unpacked"
    with zipfile.ZipFile(team_bundle) as zf:
        zf.extractall(d)
    assert run_verifier(d)[0] == 0
    (d / "result.json").unlink()
    code, out = run_verifier(d)
    assert code == 1 and "lacks result.json" in out


def tampered(bundle: Path, name: str, change) -> bytes:  # type: ignore[no-untyped-def]
    members = bundle_members(bundle.read_bytes())
    members[name] = change(members[name])
    return bundle_bytes(members)


def edit_result(bundle: Path, fn) -> bytes:  # type: ignore[no-untyped-def]
    def change(data: bytes) -> bytes:
        obj = json.loads(data)
        fn(obj)
        return canonical(obj)

    return tampered(bundle, "result.json", change)


@pytest.mark.parametrize(
    ("what", "fn", "message"),
    [
        (
            "swap two selected",
            lambda r: r["selected"].insert(0, r["selected"].pop(1)),
            "selected entity 1 should be",
        ),
        ("drop one selected", lambda r: r["selected"].pop(), "selected entities, there should be"),
        ("flip the leader", lambda r: r["teams"][0]["members"][0].update(leader=False), "member 1: expected"),
        (
            "wrong substitute",
            lambda r: r["substitutions"][0].update({"in": "豫执05001"}),
            "the substitute is",
        ),
        ("seq gap", lambda r: r["replacements"][0].update(seq=9), "seq"),
        ("wrong seed", lambda r: r.update(seed="0" * 64), "the seed is"),
        ("reorder members", lambda r: r["teams"][0]["members"].reverse(), "member 1: expected"),
        ("leader as 1", lambda r: r["teams"][0]["members"][0].update(leader=1), "leader"),
    ],
)
def test_verifier_names_the_first_discrepancy(team_bundle: Path, what: str, fn, message: str) -> None:  # type: ignore[no-untyped-def]
    code, out = run_verifier(edit_result(team_bundle, fn))
    assert code == 1, what
    assert message in out, out


def test_reasons_are_free_text_and_not_part_of_the_proof(team_bundle: Path) -> None:
    def fn(r):  # type: ignore[no-untyped-def]
        r["substitutions"][0]["reason"] = "另一个原因"
        r["replacements"][0]["approved_by"] = "张副局长"

    assert run_verifier(edit_result(team_bundle, fn))[0] == 0


def test_object_only_bundles_need_empty_team_files(tmp_path: Path) -> None:
    data = stored_bundle(GOLDEN / "objects-one-stratum")
    assert run_verifier(data)[0] == 0
    members = bundle_members(data)
    members["pool.tsv"] = b"X\ty\n"
    code, out = run_verifier(bundle_bytes(members))
    assert code == 1 and "must be empty" in out


def test_not_a_zip_is_a_plain_failure(tmp_path: Path) -> None:
    p = tmp_path / "x.zip"
    p.write_bytes(b"not a zip")
    code, out = run_verifier(p)
    assert code == 1 and "cannot open the bundle" in out
    assert not verify_bundle(p).ok


def test_verify_bundle_in_process(team_bundle: Path) -> None:
    v = verify_bundle(team_bundle)
    assert v.ok and v.lines[0].startswith("OK:")
    shutil.copy(team_bundle, team_bundle.with_suffix(".copy"))
