"""The population as plain filters, the one-scan preview and the set-based storage of the selection give what
the straightforward forms give (benchmarks/bench_draw.py measures the speed; these check the answers)."""

from __future__ import annotations

from array import array
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji import lottery
from shuangsuiji.catalog.models import InspectionItem
from shuangsuiji.directory.models import Entity, Status
from shuangsuiji.draws import eligibility, services
from shuangsuiji.draws.eligibility import Freeze
from shuangsuiji.draws.models import Draw, DrawSelection
from shuangsuiji.draws.tests.test_ceremony import make_joint_task
from shuangsuiji.planning import services as planning

pytestmark = pytest.mark.django_db

REASON_OF_STATUS = {
    Status.DEREGISTERED: "deregistered",
    Status.REVOKED: "revoked",
    Status.MOVED_OUT: "moved-out",
    Status.SUSPENDED: "suspended",
}


def expected_split(task: Any) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The population and the exclusions computed the plain way: entity by entity, in Python."""
    earlier = DrawSelection.objects.filter(draw__task__plan__year=task.plan.year).exclude(draw__task=task)
    same_item = set(
        earlier.filter(draw__task__items__in=task.items.all()).values_list("entity_id", flat=True)
    )
    joint_draws: Counter[int] = Counter()
    if task.is_joint:
        joint_draws.update(
            entity
            for entity, _ in set(
                earlier.filter(draw__task__plan__kind__in=["joint", "temporary"]).values_list(
                    "entity_id", "draw_id"
                )
            )
        )
    population: list[tuple[str, str]] = []
    exclusions: dict[str, str] = {}
    for e in eligibility.scope(task).annotate(stratum=eligibility.label_expression(task.stratification)):
        if e.status in REASON_OF_STATUS:
            exclusions[e.draw_key] = REASON_OF_STATUS[e.status]
        elif e.pk in same_item:
            exclusions[e.draw_key] = "inspected-this-year"
        elif joint_draws[e.pk] >= eligibility.JOINT_CAP:
            exclusions[e.draw_key] = "joint-cap"
        else:
            population.append((e.stratum, e.draw_key))
    population.sort(key=lambda pair: (pair[0].encode(), pair[1].encode()))
    return population, exclusions


def joint_draw(cast: Any, items: str, rate_bp: int) -> set[str]:
    manager = cast["scjg.manager"]
    task = make_joint_task(cast, stratification="none")
    task.items.set(InspectionItem.objects.filter(code=items))
    planning.task_set_rates(actor=manager, task=task, rates_bp={"ALL": rate_bp})
    draw = services.draw_commit(actor=manager, task=task)
    draw = services.draw_execute(actor=manager, draw=draw, ceremony_entropy="")
    return set(draw.selections.values_list("key", flat=True))


@pytest.mark.parametrize("piece", [Freeze.PIECE, 3])  # PostgreSQL: a stratum read whole or in pieces
@pytest.mark.parametrize("stratification", ["industry", "credit_fire", "none"])
def test_the_population_is_the_scope_minus_every_exclusion_in_byte_order(
    cast: Any, stratification: str, piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Freeze, "PIECE", piece)
    joint_draw(cast, "SC-02", 10000)  # everyone once,
    joint_draw(cast, "XF-02", 5000)  # half of them twice: the joint cap,
    joint_draw(cast, "SC-01", 2000)  # and some of each for the same item as the task: inspected this year
    task = make_joint_task(cast, stratification=stratification)
    task.items.set(InspectionItem.objects.filter(code="SC-01"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE directory_entity")  # what tells `cuts` the directory's size
    cuts = Freeze(task).cuts()
    # Only industry strata are cut (their covering index bounds each piece), and only big ones.
    cut = connection.vendor == "postgresql" and stratification == "industry" and piece == 3
    assert bool(cuts) == cut
    assert all(keys == sorted(keys, key=str.encode) and len(set(keys)) == len(keys) for keys in cuts.values())
    population, exclusions = expected_split(task)
    runs = [(label, list(keys)) for label, keys in Freeze(task).runs()]
    assert len({label for label, _ in runs}) == len(runs)  # a stratum read in pieces is still one run
    assert list(eligibility.population_pairs(task)) == population
    assert dict(eligibility.exclusion_pairs(task)) == exclusions
    assert population and set(exclusions.values()) >= {"inspected-this-year", "joint-cap", "deregistered"}


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.text(st.sampled_from("9AB豫 \\"), min_size=1, max_size=5), min_size=1, max_size=30))
def test_a_piece_as_postgresql_aggregates_it_is_its_entities(keys: list[str]) -> None:
    ids = array("q", range(len(keys)))
    codes = "".join(str(n % 3) for n in range(len(keys)))
    packed = b"".join(n.to_bytes(8, "big") for n in ids)  # int8send: big-endian
    got_keys, got_ids, got_codes = eligibility._piece("S", "\n".join(keys), packed, codes)
    assert got_keys == keys
    assert got_ids == ids
    assert got_codes == codes
    assert len(got_keys) == len(got_ids) == len(got_codes)


def test_a_key_holding_a_line_feed_is_refused_with_its_stratum() -> None:
    packed = b"".join(n.to_bytes(8, "big") for n in (1, 2, 3))
    with pytest.raises(ValidationError, match="分层 制造业 中有检查对象的代码含有换行符"):
        eligibility._piece("制造业", "A1\nB\n2\nC3", packed, "000")


def test_the_preview_counts_what_the_population_and_the_exclusions_hold(cast: Any) -> None:
    joint_draw(cast, "SC-02", 10000)
    joint_draw(cast, "XF-02", 3000)
    task = make_joint_task(cast, stratification="industry")
    preview = eligibility.preview(task)
    sizes = Counter(label for label, _ in eligibility.population_pairs(task))
    assert {row["label"]: row["size"] for row in preview.strata} == {
        s.label: sizes.get(s.label, 0) for s in task.strata.all()
    }
    reasons = Counter(reason for _, reason in eligibility.exclusion_pairs(task))
    assert preview.excluded == {eligibility.EXCLUSION_REASONS[k]: n for k, n in sorted(reasons.items())}
    assert preview.eligible == sum(sizes.values())


def test_every_drawn_entity_is_stored_with_its_entity_in_ticket_order(cast: Any) -> None:
    manager = cast["scjg.manager"]
    task = make_joint_task(cast, stratification="none")
    model = Entity.objects.filter(pk__in=eligibility.scope(task).values("pk")).first()
    assert model is not None
    no_uscc = Entity.objects.create(  # an individual business with a registration number only
        name="偃师区老王面馆",
        uscc=None,
        reg_no="410381600012345",
        legal_representative="王某",
        address="偃师区商城路1号",
        registration_authority=model.registration_authority,
        jurisdiction=model.jurisdiction,
        industry="餐饮服务",
    )
    planning.task_set_rates(actor=manager, task=task, rates_bp={"ALL": 10000})
    draw = services.draw_commit(actor=manager, task=task)
    draw = services.draw_execute(actor=manager, draw=draw, ceremony_entropy="4 2")
    outcome = lottery.parse_result(draw.result_json.encode())
    rows = list(draw.selections.order_by("rank").select_related("entity"))
    assert [(r.rank, r.key, r.stratum, r.ticket) for r in rows] == [
        (rank, s.key, s.stratum, s.ticket.hex()) for rank, s in enumerate(outcome.selected, start=1)
    ]
    assert all(r.entity.draw_key == r.key for r in rows)
    assert no_uscc.pk in {r.entity_id for r in rows}
    assert len(rows) == draw.population_size


def test_a_failure_while_the_selection_is_being_stored_stores_none_of_it(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """result.json is written while the database stores the rows (on PostgreSQL during the COPY): its failure
    aborts the COPY, and the draw stays committed, with no row, until it is drawn again."""
    manager = cast["scjg.manager"]
    task = make_joint_task(cast, stratification="none")
    planning.task_set_rates(actor=manager, task=task, rates_bp={"ALL": 10000})
    draw = services.draw_commit(actor=manager, task=task)
    result_json = lottery.DrawOutcome.result_json

    def failing(self: Any) -> bytes:
        raise MemoryError("result.json")

    monkeypatch.setattr(lottery.DrawOutcome, "result_json", failing)
    with pytest.raises(MemoryError):
        services.draw_execute(actor=manager, draw=draw, ceremony_entropy="1")
    assert Draw.objects.get(pk=draw.pk).state == Draw.State.COMMITTED
    assert not DrawSelection.objects.filter(draw=draw).exists()
    monkeypatch.setattr(lottery.DrawOutcome, "result_json", result_json)
    draw = services.draw_execute(actor=manager, draw=draw, ceremony_entropy="1")
    assert draw.selections.count() == draw.population_size > 0


def test_an_entity_re_coded_after_the_commitment_is_still_the_one_drawn(cast: Any) -> None:
    manager = cast["scjg.manager"]
    task = make_joint_task(cast, stratification="none")
    planning.task_set_rates(actor=manager, task=task, rates_bp={"ALL": 10000})
    draw = services.draw_commit(actor=manager, task=task)
    key = next(key for _, key in lottery.iter_tsv_pairs(services.population_path(draw)))
    entity = Entity.objects.get(uscc=key)
    Entity.objects.filter(pk=entity.pk).update(uscc="91410381MA00000000")  # re-coded after the commitment
    draw = services.draw_execute(actor=manager, draw=draw, ceremony_entropy="1")
    assert draw.selections.get(key=key).entity_id == entity.pk  # the line's entity, under the committed key


def test_without_the_ids_file_the_keys_are_looked_up_and_a_missing_one_is_refused(cast: Any) -> None:
    manager = cast["scjg.manager"]
    task = make_joint_task(cast, stratification="none")
    planning.task_set_rates(actor=manager, task=task, rates_bp={"ALL": 10000})
    draw = services.draw_commit(actor=manager, task=task)
    ids = services.population_path(draw).with_name("population-ids.bin")
    assert ids.stat().st_size == 8 * draw.population_size
    ids.unlink()  # as for a draw committed before the file existed
    key = next(key for _, key in lottery.iter_tsv_pairs(services.population_path(draw)))
    Entity.objects.filter(uscc=key).update(uscc="91410381MA00000000")
    with pytest.raises(ValidationError, match="已找不到"):
        services.draw_execute(actor=manager, draw=draw, ceremony_entropy="1")
    assert Draw.objects.get(pk=draw.pk).state == Draw.State.COMMITTED
    assert not DrawSelection.objects.filter(draw=draw).exists()
    Entity.objects.filter(uscc="91410381MA00000000").update(uscc=key)
    draw = services.draw_execute(actor=manager, draw=draw, ceremony_entropy="1")
    assert all(s.entity.draw_key == s.key for s in draw.selections.select_related("entity"))
    assert draw.selections.count() == draw.population_size


def test_a_refused_commitment_leaves_no_population_file(cast: Any) -> None:
    manager = cast["scjg.manager"]
    task = make_joint_task(cast, stratification="none")
    planning.task_set_rates(actor=manager, task=task, rates_bp={"ALL": 100})
    with pytest.raises(ValidationError, match="低于 2%"):
        services.draw_commit(actor=manager, task=task)
    from django.core.files.storage import default_storage

    assert not Path(default_storage.path(f"draws/task-{task.pk}/population.tsv")).exists()
    assert not Path(default_storage.path(f"draws/task-{task.pk}/population-ids.bin")).exists()
    assert not Draw.objects.filter(task=task).exists()


def test_a_population_stream_closed_early_leaves_the_connection_usable(cast: Any) -> None:
    task = make_joint_task(cast, stratification="none")
    whole = list(eligibility.population_pairs(task))
    stream = eligibility.population_pairs(task, chunk_size=2)  # on PostgreSQL: a fetch thread, queue full
    assert [next(stream) for _ in range(5)] == whole[:5]
    stream.close()
    assert list(eligibility.population_pairs(task, chunk_size=7)) == whole
    assert Entity.objects.count() >= len(whole)


def test_on_postgresql_the_big_texts_are_compressed_with_lz4_where_the_server_has_it() -> None:
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL storage setting")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL default_toast_compression = 'lz4'")
    except DatabaseError:
        pytest.skip("this server was built without lz4: the migration leaves pglz")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = 'draws_draw'::regclass "
            "AND attname IN ('result_json', 'exclusions_tsv')"
        )
        assert dict(cursor.fetchall()) == {"result_json": "l", "exclusions_tsv": "l"}


def test_keys_shared_by_two_entities_are_caught_by_the_lottery(cast: Any) -> None:
    manager = cast["scjg.manager"]
    task = make_joint_task(cast, stratification="industry")
    planning.task_set_rates(actor=manager, task=task, rates_bp={s.label: 10000 for s in task.strata.all()})
    in_scope = Entity.objects.filter(pk__in=eligibility.scope(task).values("pk"), status=Status.ACTIVE)
    # Not drawn before: an entity the demo's draws picked is excluded this year, and the lottery would then
    # report its key as both drawable and excluded instead.
    model = in_scope.exclude(uscc=None).exclude(pk__in=DrawSelection.objects.values("entity_id")).first()
    assert model is not None and model.uscc
    other = (
        in_scope.exclude(industry=model.industry).exclude(industry="").values_list("industry", flat=True)[0]
    )
    assert eligibility.keys_are_distinct()
    Entity.objects.create(  # no USCC; its registration number is the other entity's USCC; another stratum
        name="偃师区重码商行",
        uscc=None,
        reg_no=model.uscc,
        legal_representative="李某",
        address="偃师区商城路2号",
        registration_authority=model.registration_authority,
        jurisdiction=model.jurisdiction,
        industry=other,
    )
    assert not eligibility.keys_are_distinct()
    with pytest.raises(ValidationError, match=f"{model.uscc} 同时在分层"):
        services.draw_commit(actor=manager, task=task)
    assert not Draw.objects.filter(task=task).exists()


def test_a_label_with_a_backslash_is_stored_as_it_is(cast: Any) -> None:
    manager = cast["scjg.manager"]
    drawn_before = DrawSelection.objects.values("entity_id")  # excluded this year: not drawn again
    model = (
        Entity.objects.filter(status=Status.ACTIVE).exclude(uscc=None).exclude(pk__in=drawn_before).first()
    )
    assert model is not None and model.uscc
    Entity.objects.filter(pk=model.pk).update(
        industry="批发\\零售\\t"
    )  # a backslash: COPY's escape character
    task = make_joint_task(cast, stratification="industry")
    assert eligibility.scope(task).filter(pk=model.pk).exists()
    planning.task_set_rates(actor=manager, task=task, rates_bp={s.label: 10000 for s in task.strata.all()})
    draw = services.draw_commit(actor=manager, task=task)
    draw = services.draw_execute(actor=manager, draw=draw, ceremony_entropy="5")
    stored = draw.selections.get(entity=model)
    assert (stored.key, stored.stratum) == (model.uscc, "批发\\零售\\t")
    assert stored.stratum in {s.stratum for s in lottery.parse_result(draw.result_json.encode()).selected}
