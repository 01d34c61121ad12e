"""Command-line entry points, free of Django: ``shuangsuiji verify-draw`` and ``shuangsuiji draw-offline``."""

from __future__ import annotations

import argparse
import sys

from . import verify_draw
from .errors import LotteryError
from .offline import draw_offline


def verify_draw_main(argv: list[str]) -> int:
    """``shuangsuiji verify-draw BUNDLE.zip``: the same code as the verify_draw.py inside every bundle."""
    parser = argparse.ArgumentParser(
        prog="shuangsuiji verify-draw",
        description="核验“双随机”抽取结果包 (ssj-draw/1) / verify a 双随机 draw bundle (ssj-draw/1)",
    )
    parser.add_argument(
        "bundle", help="结果包 .zip 或其解压目录 / the bundle .zip or a directory of its files"
    )
    args = parser.parse_args(argv)
    return verify_draw.main([args.bundle])


def draw_offline_main(argv: list[str]) -> int:
    """``shuangsuiji draw-offline INPUT_DIR --out BUNDLE.zip``."""
    parser = argparse.ArgumentParser(
        prog="shuangsuiji draw-offline",
        description=(
            "离线抽取：由输入目录（draw.json、population.tsv、exclusions.tsv，组队时另有 pool.tsv、conflicts.tsv）"
            "生成并核验结果包 / offline draw: build and verify a bundle from an input directory"
        ),
    )
    parser.add_argument("input_dir", help="输入目录 / input directory")
    parser.add_argument("--out", required=True, help="输出的结果包 .zip / the bundle to write")
    args = parser.parse_args(argv)
    try:
        done = draw_offline(args.input_dir, args.out)
    except LotteryError as exc:
        print(f"错误 ERROR: {exc.zh}", file=sys.stderr)
        print(f"ERROR: {exc.en}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"错误 ERROR: {exc}", file=sys.stderr)
        return 1
    o = done.outcome
    print(f"承诺 commitment sha256: {o.commitment_sha256}")
    print(f"种子 seed: {o.seed.hex()}")
    print(
        f"抽中 selected: {len(o.objects.selected)}; 检查小组 teams: {len(o.teams) if o.teams is not None else '-'}"
    )
    print(f"结果包 bundle: {done.bundle}")
    if done.verification is not None:
        print(done.verification.message)
        return 0 if done.verification.ok else 1
    return 0
