"""DRAW-PROTOCOL.md §8, exactly."""

from __future__ import annotations

import hashlib

from shuangsuiji.lottery import canonical_json, derive_seed, object_ticket, sha256_hex, team_ticket
from shuangsuiji.lottery.tests.helpers import (
    WE_ENTROPY,
    WE_NONCE,
    check_worked_example,
    run_verifier,
    worked_example_files,
    worked_example_outcome,
)


def test_worked_example_matches_the_spec() -> None:
    check_worked_example()


def test_population_tsv_of_the_worked_example_is_the_canonical_file() -> None:
    files = worked_example_files()
    assert files.population_tsv is not None
    lines = files.population_tsv.decode().splitlines(keepends=True)
    assert lines[0] == "A\t91410381MA3X316767\n"
    assert lines[-1] == "K\t91410381MA4487109L\n"
    assert len(lines) == 12
    assert (
        sha256_hex(files.population_tsv) == "9e8ca7ec308148006c7cf04e3c2c33a52dc5622037e2338611d21a3163487774"
    )
    assert files.exclusions_tsv == b"91410381MA9F13579X\tinspected-this-year\n"
    assert files.conflicts_tsv == "豫执0410001\t91410381MA3X791903\n".encode()


def test_commitment_json_is_canonical_and_shaped_as_specified() -> None:
    files = worked_example_files()
    obj = files.commitment.to_json()
    assert canonical_json(obj) == files.commitment_json
    assert list(obj) == [
        "protocol",
        "task",
        "created_at",
        "population_sha256",
        "exclusions_sha256",
        "strata",
        "nonce_sha256",
        "teams",
    ]
    assert obj["strata"][0] == {
        "label": "A",
        "name": "信用风险低（A类）",
        "size": 6,
        "rate_bp": 2000,
        "quota": 2,
    }
    assert [s["quota"] for s in obj["strata"]] == [2, 2, 2]
    assert obj["nonce_sha256"] == hashlib.sha256(WE_NONCE).hexdigest()
    assert obj["teams"]["departments"][0] == {
        "code": "SCJG",
        "name": "区市场监督管理局",
        "per_object": 2,
        "lead": True,
    }
    assert files.commitment_json.startswith(b'{"created_at":"2026-03-02T09:30:00+08:00","exclusions_sha256":')


def test_seed_and_tickets_follow_the_formulas() -> None:
    files = worked_example_files()
    seed = derive_seed(files.sha256, WE_NONCE, WE_ENTROPY)
    manual = hashlib.sha256(
        b"ssj-draw/1\x00" + hashlib.sha256(files.commitment_json).digest() + WE_NONCE + WE_ENTROPY.encode()
    ).digest()
    assert seed == manual
    assert seed.hex() == "31fac530034abca1f9e3d2bf4b3dc0ea6fddfcf32d1176105f33ba3499e1d809"
    assert (
        object_ticket(seed, "91410381MA9F475149")
        == hashlib.sha256(seed + b"obj\x00" + b"91410381MA9F475149").digest()
    )
    assert team_ticket(seed, "E", "D", "I") == hashlib.sha256(seed + b"team\x00E\x00D\x00I").digest()


def test_the_worked_example_has_a_second_pass_and_verifies() -> None:
    files, outcome = worked_example_outcome()
    teams = {t.entity: t for t in outcome.teams}
    # 91410381MA3X791903 conflicts with 豫执0410001; the others of SCJG are at their cap of 3 by then.
    assert [m.inspector for m in teams["91410381MA3X791903"].members if m.department == "SCJG"] != []
    assert all(m.inspector != "豫执0410001" for m in teams["91410381MA3X791903"].members)
    outcome.ledger.substitute("91410381MA9F475149", "SCJG", "豫执0410001", "因病无法参加")
    import io

    buf = io.BytesIO()
    outcome.write_bundle(
        buf,
        population_tsv=files.population_tsv,
        exclusions_tsv=files.exclusions_tsv,
        pool_tsv=files.pool_tsv,
        conflicts_tsv=files.conflicts_tsv,
    )
    code, out = run_verifier(buf.getvalue())
    assert code == 0, out
    assert out.startswith("OK: 抽取结果核验通过")


def test_run_draw_checks_everything_against_the_commitment() -> None:
    import pytest

    from shuangsuiji.lottery import IntegrityError, run_draw

    files = worked_example_files()
    base = {
        "commitment_json": files.commitment_json,
        "server_nonce": WE_NONCE,
        "ceremony_entropy": WE_ENTROPY,
        "population": files.population_tsv,
        "pool_tsv": files.pool_tsv,
        "conflicts_tsv": files.conflicts_tsv,
    }
    for change, message in [
        ({"server_nonce": bytes(32)}, "nonce_sha256"),
        ({"pool_tsv": files.pool_tsv + b"XFJY\tXF-0381-04\n"}, "pool.tsv"),
        ({"conflicts_tsv": b""}, "conflicts.tsv"),
        ({"population": files.population_tsv.replace(b"K\t91410381MA4487109L\n", b"")}, "population"),
    ]:
        with pytest.raises(IntegrityError, match=message):
            run_draw(**{**base, **change})
