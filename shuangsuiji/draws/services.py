"""The ceremony: commit → witnesses and entropy → draw (frozen) → substitutions, replacements, dispatch.

Every step is one transaction with its audit event. The lottery itself is `shuangsuiji.lottery`
(ssj-draw/1); this module feeds it from the database and stores what it returns.
"""

from __future__ import annotations

import io
import mmap
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.utils import timezone

from shuangsuiji import lottery
from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit.services import audit_record
from shuangsuiji.directory.models import Conflict, Entity, Inspector
from shuangsuiji.directory.selectors import entity_ids_by_draw_key
from shuangsuiji.draws import eligibility
from shuangsuiji.draws.models import CeremonyMedia, Draw, DrawChange, DrawSelection, TeamMember, Witness
from shuangsuiji.planning.models import Plan, Task


def _lottery_error(error: lottery.LotteryError) -> ValidationError:
    return ValidationError(str(getattr(error, "zh", "") or error))


def _population_name(task: Task) -> str:
    return f"draws/task-{task.pk}/population.tsv"


def population_path(draw: Draw) -> Path:
    return Path(default_storage.path(draw.population_file))


def _ids_path(population: Path) -> Path:
    """Beside population.tsv: the entity id of each of its lines, as 64-bit integers (not part of the bundle;
    what the draw stores its selection with, without looking the keys up again)."""
    return population.with_name("population-ids.bin")


def _discard(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _team_spec(task: Task) -> lottery.TeamSpec | None:
    if not task.team_draw:
        return None
    departments = list(task.departments.select_related("department"))
    if not departments:
        raise ValidationError("随机抽取检查小组需要至少一个参与部门。")
    if sum(1 for d in departments if d.lead) != 1:
        raise ValidationError("参与部门中必须且只能有一个牵头部门（组长从牵头部门产生，004 第十七条）。")
    if sum(d.per_object for d in departments) < 2:
        raise ValidationError("每个检查小组至少 2 名执法检查人员（001、003）。")
    pool: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for td in departments:
        members = list(eligibility.pool_inspectors(td).values_list("cert_no", flat=True))
        if len(members) < td.per_object:
            raise ValidationError(
                f"{td.department.name} 可抽取的执法检查人员只有 {len(members)} 名，少于每组所需的 {td.per_object} 名。"
            )
        for cert in members:
            if cert in seen:
                raise ValidationError(
                    f"执法检查人员 {cert} 同时属于 {seen[cert]} 和 {td.department.code} 的人员库。"
                )
            seen[cert] = td.department.code
            pool.append((td.department.code, cert))
    conflicts = Conflict.objects.filter(inspector__cert_no__in=list(seen)).select_related(
        "inspector", "entity"
    )
    conflict_pairs = [(c.inspector.cert_no, c.entity.draw_key) for c in conflicts]
    return lottery.TeamSpec(
        departments=[
            lottery.Department(td.department.code, td.department.name, td.per_object, td.lead)
            for td in departments
        ],
        pool=pool,
        conflicts=conflict_pairs,
    )


@transaction.atomic
def draw_commit(*, actor: Any, task: Task, ip: str = "") -> Draw:
    """Freeze the population, exclusions, pool and conflicts and store the commitment (before any entropy)."""
    task = Task.objects.select_for_update(of=("self",)).select_related("plan", "directory").get(pk=task.pk)
    if task.origin != Task.Origin.DRAWN:
        raise ValidationError("上级下发的任务不在本级抽取。")
    if Draw.objects.filter(task=task).exists() or task.state != Task.State.DRAFT:
        raise ValidationError("此任务已生成抽取承诺：每个任务只能承诺一次、抽取一次。")
    if task.plan.state not in (Plan.State.SUBMITTED, Plan.State.PUBLISHED):
        raise ValidationError("所属计划须先报联席办（或已公示）后才能抽取。")
    if not task.strata.exists():
        raise ValidationError("任务没有设置分层和比例。")
    teams = _team_spec(task)
    name = _population_name(task)
    target = Path(default_storage.path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    created_at = timezone.localtime().isoformat(timespec="seconds")
    # One pass over the scope gives the population, each line's entity id and the exclusions; the lottery then
    # trusts the keys to be distinct (what the directory's unique columns make them, checked here), else it
    # checks them itself, which needs the exclusions first: a pass of their own.
    distinct = eligibility.keys_are_distinct()
    ids_path = _ids_path(target)
    try:
        exclusions = None if distinct else eligibility.exclusion_lines(task)
        with ids_path.open("wb") as ids:
            freeze = eligibility.Freeze(task, ids)
            runs = freeze.runs()
            try:
                files = lottery.build_commitment(
                    task=task.ref,
                    created_at=created_at,
                    population_runs=runs,
                    strata=[lottery.StratumSpec(s.label, s.name, s.rate_bp) for s in task.strata.all()],
                    exclusions=freeze.exclusions if exclusions is None else exclusions,
                    distinct_keys=distinct,
                    teams=teams,
                    population_path=target,
                )
            finally:  # a stream left early (an invalid population) ends its fetch thread now, in this transaction
                runs.close()
        # The eligibility checks on what was just frozen (the commitment's strata), not on a second count:
        # the same figures as the task page's preview, without another scan of the directory.
        preview = eligibility.preview_from_sizes(task, {s.label: s.size for s in files.commitment.strata}, {})
        if preview.eligible == 0:
            raise ValidationError("按当前范围没有可抽取的检查对象。")
        if preview.below_minimum and not task.low_ratio_reason.strip():
            raise ValidationError(f"总体抽查比例 {preview.overall_percent} 低于 2%（000），须填写理由。")
    except lottery.LotteryError as error:
        _discard(target, ids_path)
        raise _lottery_error(error) from error
    except ValidationError:
        _discard(target, ids_path)
        raise
    population_size = preview.eligible
    draw = Draw.objects.create(
        task=task,
        commitment_json=files.commitment_json.decode(),
        commitment_sha256=files.sha256,
        server_nonce_hex=files.server_nonce.hex(),
        population_file=name,
        population_size=population_size,
        excluded_count=files.excluded_count,
        pool_tsv=files.pool_tsv.decode(),
        conflicts_tsv=files.conflicts_tsv.decode(),
        committed_by=actor,
        committed_at=timezone.now(),
    )
    _store_big_texts(draw, exclusions_tsv=files.exclusions_tsv.decode())
    task.state = Task.State.COMMITTED
    task.save(update_fields=["state"])
    audit_record(
        actor=actor,
        action="draw.commit",
        obj=draw,
        ip=ip,
        summary=f"{task.ref} 生成抽取承诺 {files.sha256}",
        detail={
            "task": task.ref,
            "commitment_sha256": files.sha256,
            "population": population_size,
            "excluded": files.excluded_count,
        },
    )
    return draw


@transaction.atomic
def ceremony_media_add(
    *, actor: Any, draw: Draw, upload: IO[bytes], filename: str, size: int
) -> CeremonyMedia:
    """Photos or video of the ceremony (003: 留下影像资料), kept with their checksum."""
    from shuangsuiji.core.uploads import store_upload

    stored = store_upload(upload, folder=f"ceremony/task-{draw.task_id}", size=size)
    media = CeremonyMedia.objects.create(
        draw=draw,
        file=stored.name,
        original_name=Path(filename).name[:200],
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=actor,
    )
    audit_record(
        actor=actor,
        action="draw.media",
        obj=draw,
        summary=f"上传抽取影像资料 {media.original_name}",
        detail={"sha256": stored.sha256, "size": stored.size, "type": stored.content_type},
    )
    return media


@transaction.atomic
def witness_add(*, actor: Any, draw: Draw, name: str, role: str, organisation: str = "") -> Witness:
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    if draw.state != Draw.State.COMMITTED:
        raise ValidationError("抽取已完成，不能再登记见证人。")
    witness = Witness(draw=draw, name=name.strip(), role=role, organisation=organisation.strip())
    witness.full_clean()
    witness.save()
    audit_record(actor=actor, action="draw.witness", obj=draw, summary=f"登记见证人 {witness}")
    return witness


def _stored_team_inputs(draw: Draw, commitment: lottery.Commitment) -> lottery.TeamInputs | None:
    if commitment.teams is None:
        return None
    return lottery.parse_team_inputs(
        commitment.teams.departments, draw.pool_tsv.encode(), draw.conflicts_tsv.encode()
    )


def _draw_processes(population_size: int) -> int:
    """Worker processes for the object draw: 2 for big populations (the lottery shards population.tsv and
    merges per-stratum top-k: the same answer), 1 below the threshold, where forking costs more than it saves.

    (The team draw can also compute its tickets in 2 worker processes — the same teams — but that pays only
    on idle cores: it is off unless SHUANGSUIJI_TEAM_DRAW_PROCESSES says otherwise; docs/lottery.md.)"""
    threshold = int(getattr(settings, "SHUANGSUIJI_DRAW_PARALLEL_THRESHOLD", 2_000_000))
    return 2 if population_size >= threshold else 1


@contextmanager
def _selections_stored(draw: Draw, objects: lottery.ObjectDraw) -> Iterator[None]:
    """Store the drawn entities as DrawSelection rows (rank = ticket order), each with its entity: the one whose
    line of population.tsv it is (population-ids.bin, written with it at the commitment), else — a draw
    committed before that file existed — the one its key names now. The body of the `with` (which must not
    use the database) runs while the database stores them; they are stored when it ends.

    On PostgreSQL one COPY into the table, in rank order (the (draw, rank) index and the primary key then grow
    at their ends), its rows handed to a writer thread: the server inserts and indexes them (at 10^7 entities
    ~600,000 rows, seconds) while this process goes on with the body (result.json). A model instance per row,
    or looking the keys up again (a random read of the directory per key), cost seconds per hundred thousand
    (benchmarks/bench_draw.py). The rows carry no database foreign keys (see the model).
    """
    selected = objects.selected
    if not selected:
        yield
        return
    entity_ids = _committed_ids(draw, objects.lines)
    if entity_ids is None:
        found = entity_ids_by_draw_key([s.key for s in selected])
        absent = [s.key for s in selected if s.key not in found]
        if absent:
            raise _missing_entities(absent)
        entity_ids = [found[s.key] for s in selected]
    if connection.vendor != "postgresql":
        DrawSelection.objects.bulk_create(
            [
                DrawSelection(
                    draw=draw, rank=rank, entity_id=pk, key=s.key, stratum=s.stratum, ticket=s.ticket.hex()
                )
                for rank, (s, pk) in enumerate(zip(selected, entity_ids, strict=True), start=1)
            ],
            batch_size=2000,
        )
        yield
        return
    from psycopg.copy import QueuedLibpqWriter

    prefix = f"{draw.pk}\t"
    columns = "draw_id, rank, entity_id, key, stratum, ticket"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        sql = f"COPY {DrawSelection._meta.db_table} ({columns}) FROM STDIN"
        with connection.wrap_database_errors, raw.copy(sql, writer=QueuedLibpqWriter(raw)) as copy:
            for start in range(0, len(selected), 50_000):
                part = range(start, min(start + 50_000, len(selected)))
                # COPY's text format: TAB and LF never occur in keys or labels (ssj-draw/1 §1); a backslash
                # is doubled.
                text = "".join(
                    f"{prefix}{i + 1}\t{entity_ids[i]}\t{s.key}\t{s.stratum}\t{s.ticket.hex()}\n"
                    for i, s in zip(part, selected[start : part.stop], strict=True)
                )
                copy.write(text.replace("\\", "\\\\").encode("utf-8"))
            yield


def _store_big_texts(draw: Draw, **texts: str) -> None:
    """Set the draw's big texts (exclusions.tsv, result.json: tens of MB at 10^7 entities) on the object and in
    its row. On PostgreSQL as parameters of their own: with Django's client-side binding the driver quotes
    them into the statement and the server parses them back out (85 MB: 1–2 s, bound: 0.5 s)."""
    for name, value in texts.items():
        setattr(draw, name, value)
    if connection.vendor != "postgresql":
        Draw.objects.filter(pk=draw.pk).update(**texts)
        return
    from psycopg import Cursor

    fields = [field for name in texts if isinstance(field := Draw._meta.get_field(name), models.TextField)]
    if len(fields) != len(texts):
        raise RuntimeError("internal invariant broken: the big texts are text fields of the draw")
    columns = ", ".join(f"{field.column} = %s" for field in fields)
    connection.ensure_connection()
    with connection.wrap_database_errors, Cursor(connection.connection) as cursor:
        cursor.execute(
            f"UPDATE {Draw._meta.db_table} SET {columns} WHERE id = %s",  # noqa: S608  # nosec B608
            [*texts.values(), draw.pk],
        )


def _committed_ids(draw: Draw, lines: Sequence[int]) -> list[int] | None:
    """The entity ids of the given population lines, from population-ids.bin; None without a usable file."""
    path = _ids_path(population_path(draw))
    if not lines or not path.exists() or path.stat().st_size != 8 * draw.population_size:
        return None
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        ids = memoryview(mapped).cast("q")
        try:
            return [ids[n] for n in lines]
        finally:
            ids.release()


def _missing_entities(keys: Sequence[str]) -> ValidationError:
    return ValidationError(
        f"抽中的检查对象 {'、'.join(keys[:5])} 在名录库中已找不到（承诺后被删除或改了代码），无法保存抽取结果。"
    )


def draw_execute(*, actor: Any, draw: Draw, ceremony_entropy: str, place: str = "", ip: str = "") -> Draw:
    """Run the draw once. Refused if the task was already drawn, also when requests race (row lock)."""
    with transaction.atomic():
        locked = (
            Draw.objects.select_for_update(of=("self",))
            .select_related("task")
            .defer("exclusions_tsv")  # not needed to draw; megabytes for a big population
            .get(pk=draw.pk)
        )
        if locked.state != Draw.State.COMMITTED:
            raise ValidationError("此任务已经抽取，抽取结果一经产生不得更改（004 第十五条）。")
        try:
            outcome = lottery.run_draw(
                commitment_json=locked.commitment_json.encode(),
                server_nonce=bytes.fromhex(locked.server_nonce_hex),
                ceremony_entropy=ceremony_entropy,
                population=population_path(locked),
                pool_tsv=locked.pool_tsv.encode(),
                conflicts_tsv=locked.conflicts_tsv.encode(),
                processes=_draw_processes(locked.population_size),
                team_processes=int(getattr(settings, "SHUANGSUIJI_TEAM_DRAW_PROCESSES", 1)),
            )
        except lottery.LotteryError as error:
            raise _lottery_error(error) from error
        selected = outcome.objects.selected
        with _selections_stored(locked, outcome.objects):
            result_json = outcome.result_json().decode()  # while the database stores the selection
        if outcome.teams is not None:
            by_key = dict(DrawSelection.objects.filter(draw=locked).values_list("key", "pk"))
            certs = {m.inspector for t in outcome.teams for m in t.members}
            inspectors = {i.cert_no: i for i in Inspector.objects.filter(cert_no__in=certs)}
            departments = {
                td.department.code: td.department
                for td in locked.task.departments.select_related("department")
            }
            seats = []
            for team in outcome.teams:
                counters: dict[str, int] = {}
                for member in team.members:
                    counters[member.department] = counters.get(member.department, 0) + 1
                    seats.append(
                        TeamMember(
                            draw=locked,
                            selection_id=by_key[team.entity],
                            department=departments[member.department],
                            inspector=inspectors[member.inspector],
                            position=counters[member.department],
                            leader=member.leader,
                        )
                    )
            TeamMember.objects.bulk_create(seats, batch_size=2000)
        locked.state = Draw.State.DRAWN
        locked.ceremony_entropy = outcome.ceremony_entropy
        locked.ceremony_place = place.strip()
        locked.seed_hex = outcome.seed.hex()
        locked.drawn_by = actor
        locked.drawn_at = timezone.now()
        # Only what the draw sets: the commitment's big texts (exclusions.tsv, at 10^7 entities ~40 MB) stay
        # where they are instead of being sent, compressed and written again.
        locked.save(
            update_fields=["state", "ceremony_entropy", "ceremony_place", "seed_hex", "drawn_by", "drawn_at"]
        )
        _store_big_texts(locked, result_json=result_json)
        task = locked.task
        task.state = Task.State.DRAWN
        task.save(update_fields=["state"])
        audit_record(
            actor=actor,
            action="draw.execute",
            obj=locked,
            ip=ip,
            summary=f"{task.ref} 随机抽取完成：{len(selected)} 个检查对象",
            detail={
                "seed": locked.seed_hex,
                "selected": len(selected),
                "entropy": outcome.ceremony_entropy,
            },
        )
    return locked


def _ledger(draw: Draw) -> lottery.TeamLedger:
    commitment = lottery.parse_commitment(draw.commitment_json.encode())
    inputs = _stored_team_inputs(draw, commitment)
    if inputs is None:
        raise ValidationError("此任务只抽取检查对象，没有检查小组。")
    result = lottery.parse_result(draw.result_json.encode())
    if result.teams is None:
        raise ValidationError("此任务只抽取检查对象，没有检查小组。")
    return lottery.TeamLedger(bytes.fromhex(draw.seed_hex), result.teams, inputs, changes=_changes(draw))


def _changes(draw: Draw) -> list[lottery.Change]:
    changes: list[lottery.Change] = []
    for c in (
        draw.changes.filter(state=DrawChange.State.APPLIED)
        .select_related("selection", "department", "out_inspector", "in_inspector", "approved_by")
        .order_by("seq")
    ):
        if c.seq is None or c.in_inspector is None:
            raise ValidationError(f"人员调整记录 {c.pk} 不完整，请联系系统管理员核查。")
        if c.kind == DrawChange.Kind.SUBSTITUTION:
            changes.append(
                lottery.Substitution(
                    c.seq,
                    c.selection.key,
                    c.department.code,
                    c.out_inspector.cert_no,
                    c.in_inspector.cert_no,
                    c.reason,
                )
            )
        else:
            changes.append(
                lottery.Replacement(
                    c.seq,
                    c.selection.key,
                    c.department.code,
                    c.out_inspector.cert_no,
                    c.in_inspector.cert_no,
                    c.reason,
                    _approver(c.approved_by),
                )
            )
    return changes


def _approver(user: Any) -> str:
    return f"{user.full_name or user.username}（{user.username}）" if user is not None else ""


def _swap_seat(
    draw: Draw, selection: DrawSelection, department_code: str, out: Inspector, incoming: Inspector
) -> None:
    seat = TeamMember.objects.select_for_update().get(
        draw=draw, selection=selection, inspector=out, active=True, department__code=department_code
    )
    seat.active = False
    seat.save(update_fields=["active"])
    TeamMember.objects.create(
        draw=draw,
        selection=selection,
        department=seat.department,
        inspector=incoming,
        position=seat.position,
        leader=seat.leader,
        drawn=False,
        active=True,
    )


def _locked_drawn(draw: Draw) -> Draw:
    locked = Draw.objects.select_for_update().get(pk=draw.pk)
    if locked.state != Draw.State.DRAWN:
        raise ValidationError("尚未抽取，不能调整人员。")
    return locked


def _next_seq(draw: Draw) -> int:
    last = draw.changes.exclude(seq=None).order_by("-seq").values_list("seq", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def draw_substitute(
    *, actor: Any, selection: DrawSelection, department_code: str, out: Inspector, reason: str, ip: str = ""
) -> DrawChange:
    """递补: the next inspector in the (entity, department) ranking, computed by the protocol."""
    draw = _locked_drawn(selection.draw)
    ledger = _ledger(draw)
    try:
        change = ledger.substitute(selection.key, department_code, out.cert_no, reason)
    except lottery.LotteryError as error:
        raise _lottery_error(error) from error
    incoming = Inspector.objects.get(cert_no=change.incoming)
    seq = _next_seq(draw)
    if change.seq != seq:
        raise ValidationError("人员调整记录不连续，请联系系统管理员核查。")
    record = DrawChange.objects.create(
        draw=draw,
        seq=seq,
        kind=DrawChange.Kind.SUBSTITUTION,
        selection=selection,
        department=out_department(draw, department_code),
        out_inspector=out,
        in_inspector=incoming,
        reason=change.reason,
        requested_by=actor,
    )
    _swap_seat(draw, selection, department_code, out, incoming)
    audit_record(
        actor=actor,
        action="draw.substitute",
        obj=draw,
        ip=ip,
        summary=f"递补：{selection.key} {out.cert_no} → {incoming.cert_no}",
        detail={
            "seq": seq,
            "entity": selection.key,
            "department": department_code,
            "out": out.cert_no,
            "in": incoming.cert_no,
            "reason": change.reason,
        },
    )
    return record


def out_department(draw: Draw, code: str) -> Any:
    return draw.task.departments.select_related("department").get(department__code=code).department


@transaction.atomic
def replacement_request(
    *,
    actor: Any,
    selection: DrawSelection,
    department_code: str,
    out: Inspector,
    incoming: Inspector,
    reason: str,
    ip: str = "",
) -> DrawChange:
    """调整更换 (004 第十六条): requested here, effective only once the department's leader approves."""
    draw = _locked_drawn(selection.draw)
    ledger = _ledger(draw)
    try:  # check now, on a copy, so the leader is never asked to approve the impossible
        ledger.replace(selection.key, department_code, out.cert_no, incoming.cert_no, reason, "待批准")
    except lottery.LotteryError as error:
        raise _lottery_error(error) from error
    record = DrawChange.objects.create(
        draw=draw,
        kind=DrawChange.Kind.REPLACEMENT,
        state=DrawChange.State.PENDING,
        selection=selection,
        department=out_department(draw, department_code),
        out_inspector=out,
        in_inspector=incoming,
        reason=reason.strip(),
        requested_by=actor,
    )
    audit_record(
        actor=actor,
        action="draw.replacement_request",
        obj=draw,
        ip=ip,
        summary=f"申请调整更换：{selection.key} {out.cert_no} → {incoming.cert_no}",
        detail={
            "entity": selection.key,
            "department": department_code,
            "out": out.cert_no,
            "in": incoming.cert_no,
            "reason": reason,
        },
    )
    return record


def leader_may_approve(user: Any, change: DrawChange) -> bool:
    from shuangsuiji.accounts.selectors import visible_department_ids

    if Role.LEADER not in user.role_set:
        return False
    ids = visible_department_ids(user)
    return ids is not None and change.department_id in ids


@transaction.atomic
def replacement_decide(*, actor: Any, change: DrawChange, approve: bool, ip: str = "") -> DrawChange:
    change = (
        DrawChange.objects.select_for_update(of=("self",))
        .select_related("selection", "out_inspector", "in_inspector", "department")
        .get(pk=change.pk)
    )
    if change.state != DrawChange.State.PENDING:
        raise ValidationError("此调整申请已处理。")
    if not leader_may_approve(actor, change):
        raise ValidationError("只有该部门的负责人可以审批调整更换。")
    draw = _locked_drawn(change.draw)
    if not approve:
        change.state = DrawChange.State.REJECTED
        change.approved_by, change.approved_at = actor, timezone.now()
        change.save()
        audit_record(
            actor=actor,
            action="draw.replacement_reject",
            obj=draw,
            ip=ip,
            summary=f"驳回调整更换：{change.selection.key} {change.out_inspector.cert_no}",
        )
        return change
    ledger = _ledger(draw)
    if change.in_inspector is None:
        raise ValidationError("调整申请没有指定调整后的人员。")
    try:
        applied = ledger.replace(
            change.selection.key,
            change.department.code,
            change.out_inspector.cert_no,
            change.in_inspector.cert_no,
            change.reason,
            _approver(actor),
        )
    except lottery.LotteryError as error:
        raise _lottery_error(error) from error
    change.seq = _next_seq(draw)
    if applied.seq != change.seq:
        raise ValidationError("人员调整记录不连续，请联系系统管理员核查。")
    change.state = DrawChange.State.APPLIED
    change.approved_by, change.approved_at = actor, timezone.now()
    change.save()
    _swap_seat(draw, change.selection, change.department.code, change.out_inspector, change.in_inspector)
    audit_record(
        actor=actor,
        action="draw.replacement_approve",
        obj=draw,
        ip=ip,
        summary=f"批准调整更换：{change.selection.key} {change.out_inspector.cert_no} → "
        f"{change.in_inspector.cert_no}",
        detail={"seq": change.seq},
    )
    return change


@transaction.atomic
def draw_dispatch(*, actor: Any, draw: Draw, ip: str = "") -> Draw:
    draw = _locked_drawn(draw)
    if draw.dispatched_at is not None:
        raise ValidationError("已派发。")
    draw.dispatched_at = timezone.now()
    draw.save(update_fields=["dispatched_at"])
    task = draw.task
    task.state = Task.State.DISPATCHED
    task.save(update_fields=["state"])
    audit_record(
        actor=actor,
        action="draw.dispatch",
        obj=draw,
        ip=ip,
        summary=f"{task.ref} 派发至检查小组：{draw.selections.count()} 个检查对象",
    )
    _records_open(actor, task)
    return draw


def _records_open(actor: Any, task: Task) -> None:
    """Dispatch (or receipt) starts the inspections: one 检查情况记录表 per entity."""
    from shuangsuiji.inspections.services import records_open

    records_open(actor=actor, task=task)


def result_json_now(draw: Draw) -> bytes:
    """result.json with the teams as drawn and every applied change (what the bundle carries)."""
    result = lottery.parse_result(draw.result_json.encode())
    changes = _changes(draw) if result.teams is not None else []
    return lottery.build_result(
        commitment_sha256=draw.commitment_sha256,
        seed=bytes.fromhex(draw.seed_hex),
        selected=result.selected,
        teams=result.teams,
        substitutions=[c for c in changes if isinstance(c, lottery.Substitution)],
        replacements=[c for c in changes if isinstance(c, lottery.Replacement)],
    )


def bundle_write(*, draw: Draw, target: IO[bytes] | str | Path) -> None:
    if draw.state not in (Draw.State.DRAWN, Draw.State.RECEIVED):
        raise ValidationError("抽取完成后才能下载抽取包。")
    lottery.write_bundle(
        target,
        commitment_json=draw.commitment_json.encode(),
        population_tsv=population_path(draw),
        exclusions_tsv=draw.exclusions_tsv.encode(),
        pool_tsv=draw.pool_tsv.encode(),
        conflicts_tsv=draw.conflicts_tsv.encode(),
        reveal_json=lottery.reveal_json(bytes.fromhex(draw.server_nonce_hex), draw.ceremony_entropy),
        result_json=result_json_now(draw),
    )


def bundle_bytes(draw: Draw) -> bytes:
    buffer = io.BytesIO()
    bundle_write(draw=draw, target=buffer)
    return buffer.getvalue()


def selections_in(draws: Iterable[Draw]) -> list[DrawSelection]:
    return list(DrawSelection.objects.filter(draw__in=list(draws)).select_related("entity"))


def committed_strata(draw: Draw) -> list[lottery.Stratum]:
    return list(lottery.parse_commitment(draw.commitment_json.encode()).strata)


def sha256_hex(data: bytes) -> str:
    return lottery.sha256_hex(data)


@transaction.atomic
def task_receive(
    *,
    actor: Any,
    plan: Plan,
    bundle: IO[bytes],
    received_from: str,
    title: str,
    items: Any,
    result_code_set: Any,
    period_start: Any,
    period_end: Any,
    methods: list[str],
    ip: str = "",
) -> Task:
    """上级抽取下发 (004 第十三条): record the upper level's drawn list, with its bundle, as received — after
    checking the bundle with the same verifier anyone can run."""
    from shuangsuiji.planning import services as planning

    verification = lottery.verify_bundle(bundle)
    if not verification.ok:
        raise ValidationError(f"下发的抽取包未通过核验：{verification.lines[0]}")
    bundle.seek(0)
    try:
        read = lottery.read_bundle(bundle)
    except lottery.LotteryError as error:
        raise _lottery_error(error) from error
    keys = [s.key for s in read.result.selected]
    found = entity_ids_by_draw_key(keys, old_reg_no=True)
    missing = [k for k in keys if k not in found]
    if missing:
        raise ValidationError(
            f"下发名单中有 {len(missing)} 个检查对象不在本级名录库中（如 {'、'.join(missing[:5])}），"
            "请先导入或补录后再接收。"
        )
    first_key: dict[int, str] = {}
    for key in keys:
        other = first_key.setdefault(found[key], key)
        if other != key:  # one entity under two codes (its USCC and its registration number)
            entity_name = Entity.objects.get(pk=found[key]).name
            raise ValidationError(
                f"下发名单中的 {other} 和 {key} 在本级名录库中是同一个检查对象（{entity_name}），"
                "无法接收；请先核对名录库中该对象的统一社会信用代码和注册号。"
            )
    digest = lottery.sha256_hex(read.commitment_json)
    if Draw.objects.filter(commitment_sha256=digest).exists():
        raise ValidationError("此抽取包已经接收过。")
    task = planning.task_create(
        actor=actor,
        plan=plan,
        title=title,
        items=items,
        result_code_set=result_code_set,
        period_start=period_start,
        period_end=period_end,
        methods=methods,
        team_draw=False,
        stratification="none",
    )
    task.origin, task.state = Task.Origin.RECEIVED, Task.State.RECEIVED
    task.save(update_fields=["origin", "state"])
    name = _population_name(task)
    target = Path(default_storage.path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(read.population_tsv)
    draw = Draw.objects.create(
        task=task,
        state=Draw.State.RECEIVED,
        commitment_json=read.commitment_json.decode(),
        commitment_sha256=digest,
        server_nonce_hex=read.reveal.server_nonce.hex(),
        population_file=name,
        population_size=sum(s.size for s in read.commitment.strata),
        excluded_count=len(lottery.parse_tsv(read.exclusions_tsv, file="exclusions.tsv")),
        exclusions_tsv=read.exclusions_tsv.decode(),
        pool_tsv=read.pool_tsv.decode(),
        conflicts_tsv=read.conflicts_tsv.decode(),
        committed_by=actor,
        committed_at=timezone.now(),
        ceremony_entropy=read.reveal.ceremony_entropy,
        seed_hex=read.result.seed.hex(),
        result_json=read.result_json.decode(),
        drawn_at=timezone.now(),
        received_from=received_from.strip(),
    )
    DrawSelection.objects.bulk_create(
        [
            DrawSelection(
                draw=draw,
                rank=rank,
                entity_id=found[s.key],
                key=s.key,
                stratum=s.stratum,
                ticket=s.ticket.hex(),
            )
            for rank, s in enumerate(read.result.selected, start=1)
        ]
    )
    audit_record(
        actor=actor,
        action="task.receive",
        obj=task,
        ip=ip,
        summary=f"接收上级下发任务 {task.ref}：{len(keys)} 个检查对象（来自 {received_from}）",
        detail={"commitment_sha256": digest, "selected": len(keys), "from": received_from},
    )
    _records_open(actor, task)
    return task
