"""shuangsuiji draw-offline / verify-draw, called as the Django-free entry points."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from shuangsuiji.lottery.cli import draw_offline_main, verify_draw_main
from shuangsuiji.lottery.tests.golden_cases import GOLDEN
from shuangsuiji.lottery.tests.helpers import bundle_bytes, bundle_members


@pytest.fixture
def input_dir(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    shutil.copytree(GOLDEN / "worked-example" / "input", d)
    return d


def test_draw_offline_then_verify(
    input_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b.zip"
    assert draw_offline_main([str(input_dir), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "31fac530034abca1f9e3d2bf4b3dc0ea6fddfcf32d1176105f33ba3499e1d809" in text
    assert "OK: 抽取结果核验通过" in text
    assert verify_draw_main([str(out)]) == 0
    assert (
        bundle_members(out.read_bytes())["result.json"]
        == (GOLDEN / "worked-example/expected/result.json").read_bytes()
    )

    members = bundle_members(out.read_bytes())
    members["reveal.json"] = members["reveal.json"].replace(b"4 2 6", b"4 2 5")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bundle_bytes(members))
    capsys.readouterr()
    assert verify_draw_main([str(bad)]) == 1
    assert "the seed is" in capsys.readouterr().out


def test_a_fresh_nonce_when_none_is_given(input_dir: Path, tmp_path: Path) -> None:
    spec = json.loads((input_dir / "draw.json").read_text(encoding="utf-8"))
    del spec["server_nonce"]
    del spec["substitutions"]  # they name inspectors of the spec's own draw
    (input_dir / "draw.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    seeds = set()
    for i in range(2):
        out = tmp_path / f"{i}.zip"
        assert draw_offline_main([str(input_dir), "--out", str(out)]) == 0
        seeds.add(json.loads(bundle_members(out.read_bytes())["result.json"])["seed"])
    assert len(seeds) == 2


def edit_spec(d: Path, **changes: object) -> None:
    spec = json.loads((d / "draw.json").read_text(encoding="utf-8"))
    spec.update(changes)
    (d / "draw.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: (d / "population.tsv").write_bytes(b"A\t2\nA\t1\n"), "population.tsv line 2"),
        (lambda d: (d / "population.tsv").write_bytes(b"A\t1\r\n"), "CR"),
        (lambda d: (d / "pool.tsv").write_bytes(b"XFJY\tb\nSCJG\ta\n"), "pool.tsv line 2"),
        (lambda d: (d / "exclusions.tsv").write_bytes(b"X\tr\nX\tr\n"), "duplicate"),
        (lambda d: edit_spec(d, strata=[{"label": "A", "name": "A", "rate_bp": 0}]), "1–10000"),
        (
            lambda d: edit_spec(
                d,
                departments=[
                    {"code": "SCJG", "name": "a", "per_object": 1, "lead": True},
                    {"code": "XFJY", "name": "b", "per_object": 1, "lead": True},
                ],
            ),
            "exactly one lead",
        ),
        (lambda d: edit_spec(d, colour="red"), "unknown fields"),
        (lambda d: edit_spec(d, server_nonce="abcd"), "64 hex"),
        (lambda d: (d / "pool.tsv").unlink(), "needs pool.tsv"),
        (lambda d: edit_spec(d, departments=None, substitutions=[]), "absent or empty"),
        (lambda d: edit_spec(d, departments=None), "need a team draw"),
        (lambda d: edit_spec(d, substitutions=[{"entity": "91410381MA9F475149"}]), "exactly the fields"),
        (
            lambda d: edit_spec(
                d,
                substitutions=[
                    {"entity": "91410381MA9F475149", "department": "SCJG", "out": "nobody", "reason": "x"}
                ],
            ),
            "not a current member",
        ),
        (lambda d: (d / "draw.json").write_text("{", encoding="utf-8"), "not valid JSON"),
    ],
)
def test_draw_offline_refuses_bad_inputs_clearly(
    input_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    mutate: Callable[[Path], object],
    message: str,
) -> None:
    mutate(input_dir)
    out = tmp_path / "b.zip"
    assert draw_offline_main([str(input_dir), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误 ERROR: ")
    assert message in err, err


def test_entry_points_do_not_import_django() -> None:
    code = (
        "import sys; from shuangsuiji.lottery.cli import draw_offline_main, verify_draw_main; "
        "import shuangsuiji.lottery; assert 'django' not in sys.modules, 'django imported'"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_verify_draw_main_usage_errors_exit_nonzero() -> None:
    with pytest.raises(SystemExit) as exc:
        verify_draw_main([])
    assert exc.value.code == 2
