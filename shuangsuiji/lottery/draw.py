"""The whole draw in one call: seed, objects, teams, ledger, result and bundle."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from .bundle import write_bundle
from .commitment import Commitment, TeamInputs, parse_commitment, parse_team_inputs
from .encoding import PathLike, iter_tsv_pairs, sha256_hex
from .errors import IntegrityError
from .objects import ObjectDraw, draw_objects, draw_objects_from_file
from .result import build_result
from .seed import derive_seed, normalize_entropy, reveal_json
from .teams import Team, TeamLedger, draw_teams


@dataclass
class DrawOutcome:
    """A finished draw. Apply 递补 / 调整更换 through ``ledger``; then ``result_json()`` and ``write_bundle``."""

    commitment: Commitment
    commitment_json: bytes
    commitment_sha256: str
    server_nonce: bytes
    ceremony_entropy: str
    seed: bytes
    objects: ObjectDraw
    teams: tuple[Team, ...] | None
    team_inputs: TeamInputs | None
    ledger: TeamLedger | None

    def reveal_json(self) -> bytes:
        return reveal_json(self.server_nonce, self.ceremony_entropy)

    def result_json(self) -> bytes:
        return build_result(
            commitment_sha256=self.commitment_sha256,
            seed=self.seed,
            selected=self.objects.selected,
            teams=self.teams,
            substitutions=self.ledger.substitutions if self.ledger else (),
            replacements=self.ledger.replacements if self.ledger else (),
        )

    def write_bundle(
        self,
        target: PathLike | IO[bytes],
        *,
        population_tsv: bytes | PathLike,
        exclusions_tsv: bytes,
        pool_tsv: bytes = b"",
        conflicts_tsv: bytes = b"",
    ) -> None:
        write_bundle(
            target,
            commitment_json=self.commitment_json,
            population_tsv=population_tsv,
            exclusions_tsv=exclusions_tsv,
            pool_tsv=pool_tsv,
            conflicts_tsv=conflicts_tsv,
            reveal_json=self.reveal_json(),
            result_json=self.result_json(),
        )


def run_draw(
    *,
    commitment_json: bytes,
    server_nonce: bytes,
    ceremony_entropy: str,
    population: Iterable[tuple[str, str]] | bytes | PathLike,
    pool_tsv: bytes = b"",
    conflicts_tsv: bytes = b"",
    processes: int = 1,
    team_processes: int | None = None,
) -> DrawOutcome:
    """Draw against a stored commitment. Everything is checked against it before anything is returned:
    the nonce, the population (digest and sizes), the pool and the conflicts. ``population`` is the stored
    population.tsv (bytes or a path: a path allows ``processes`` > 1) or its sorted (label, key) pairs.
    ``team_processes`` (default: ``processes``) is for the team draw, which uses them only when it is big."""
    commitment = parse_commitment(commitment_json)
    digest = sha256_hex(commitment_json)
    if sha256_hex(server_nonce) != commitment.nonce_sha256:
        raise IntegrityError(
            "server_nonce 与承诺中的 nonce_sha256 不符", "server_nonce does not match the commitment"
        )
    inputs: TeamInputs | None = None
    if commitment.teams is not None:
        if sha256_hex(pool_tsv) != commitment.teams.pool_sha256:
            raise IntegrityError("pool.tsv 与承诺不符", "pool.tsv does not match the commitment")
        if sha256_hex(conflicts_tsv) != commitment.teams.conflicts_sha256:
            raise IntegrityError("conflicts.tsv 与承诺不符", "conflicts.tsv does not match the commitment")
        inputs = parse_team_inputs(commitment.teams.departments, pool_tsv, conflicts_tsv)
    entropy = normalize_entropy(ceremony_entropy)
    seed = derive_seed(digest, server_nonce, entropy)
    if isinstance(population, bytes):
        population = iter_tsv_pairs(population)
    if isinstance(population, str | os.PathLike):
        objects = draw_objects_from_file(
            seed,
            population,
            commitment.strata,
            population_sha256=commitment.population_sha256,
            processes=processes,
        )
    else:
        objects = draw_objects(
            seed, population, commitment.strata, population_sha256=commitment.population_sha256
        )
    teams: tuple[Team, ...] | None = None
    ledger: TeamLedger | None = None
    if inputs is not None:
        teams = draw_teams(
            seed,
            [s.key for s in objects.selected],
            inputs,
            processes=processes if team_processes is None else team_processes,
        )
        ledger = TeamLedger(seed, teams, inputs)
    return DrawOutcome(
        commitment=commitment,
        commitment_json=commitment_json,
        commitment_sha256=digest,
        server_nonce=server_nonce,
        ceremony_entropy=entropy,
        seed=seed,
        objects=objects,
        teams=teams,
        team_inputs=inputs,
        ledger=ledger,
    )
