"""Reading a big file in a second process, so that reading and checking the cells (one core) overlaps with
what the caller does with the records (the import: database lookups and writes, on the other core).

:func:`read_records_in_process` is :func:`read_records` with the same contract — valid records in file
order, row errors into the caller's :class:`ErrorLog` in the order a single pass adds them (a batch's errors
before its records), :class:`TabularError` for a file that cannot be read, `warnings()`, `progress()`,
`data_rows` — but the file is opened, parsed and normalised by a child process (not a
fork of a process that holds database connections or threads; a fresh interpreter running this module,
so the caller's own script is never re-imported) that sends the records in batches through a pipe. The
pipe's buffer bounds what is in flight to about two batches, so memory stays bounded.
"""

from __future__ import annotations

import pickle  # nosec B403 — only between this process and the child it started
import subprocess  # nosec B404
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from shuangsuiji.tabular.errors import ErrorLog, TabularError
from shuangsuiji.tabular.reading import open_table
from shuangsuiji.tabular.records import Record, read_records
from shuangsuiji.tabular.registers import SPECS
from shuangsuiji.tabular.table import Limits

BATCH = 5000
SEP = "\x1f"  # joins a text column of a batch: one string to pickle instead of thousands


def _pack(records: list[Record]) -> tuple[Any, ...]:
    """A batch, by column: a text column as one joined string (split again on arrival), others as lists.
    Pickling a record's dict costs more than reading and checking its cells; this costs a few percent."""
    keys = tuple(records[0].values) if records else ()
    if any(tuple(r.values) != keys for r in records):
        return ("records", records)
    columns: list[tuple[str, Any]] = []
    for key in keys:
        column = [r.values[key] for r in records]
        if all(type(v) is str for v in column):
            joined = SEP.join(column)
            if joined.count(SEP) == len(column) - 1:  # no separator inside a value
                columns.append(("s", joined))
                continue
        columns.append(("v", column))
    return ("columns", [r.row for r in records], keys, columns)


def _unpack(packed: tuple[Any, ...]) -> list[Record]:
    if packed[0] == "records":
        return list(packed[1])
    _, rows, keys, columns = packed
    lists = [c.split(SEP) if kind == "s" else c for kind, c in columns]
    return [
        Record(n, dict(zip(keys, values, strict=True)))
        for n, values in zip(rows, zip(*lists, strict=True), strict=True)
    ]


class _Forwarded(ErrorLog):
    """An ErrorLog that keeps every add, to be sent with the batch it belongs to."""

    def __init__(self, limit: int, flush: Callable[[], None]) -> None:
        super().__init__(max_kept=0)
        self.pending: list[tuple[Any, ...]] = []
        self.limit, self.flush = limit, flush

    def add(
        self, row: int | None, column: str, value: object, message: str, column_index: int | None = None
    ) -> None:
        super().add(row, column, value, message, column_index)
        self.pending.append((row, column, value, message, column_index))
        if len(self.pending) >= self.limit:  # a file of mostly bad rows: send them on, do not hoard them
            self.flush()

    def take(self) -> list[tuple[Any, ...]]:
        taken, self.pending = self.pending, []
        return taken


class _Channel:
    """Pickled messages over a byte stream (the child's stdout, the parent's pipe from it)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def send(self, message: tuple[Any, ...]) -> None:
        pickle.dump(message, self.stream, protocol=pickle.HIGHEST_PROTOCOL)
        self.stream.flush()


def _child(out: _Channel, path: str, filename: str, spec_key: str, limits: Limits, batch: int) -> None:
    records: list[Record] = []
    progress: list[Callable[[], float]] = [lambda: 0.0]

    def send_batch() -> None:
        out.send(("batch", _pack(records), errors.take(), progress[0]()))
        records.clear()

    errors = _Forwarded(batch, send_batch)
    try:
        with open_table(path, filename, limits=limits) as table:
            reader = read_records(table, SPECS[spec_key], errors=errors)
            progress[0] = reader.progress
            out.send(("header", reader.warnings()))
            for record in reader:
                records.append(record)
                if len(records) >= batch:
                    send_batch()
            send_batch()
            out.send(("end", reader.data_rows, reader.blank_rows, reader.records))
    except TabularError as error:
        _last_word(
            out, ("error", error.code, error.message, error.row, error.column, error.detail, errors.take())
        )
    except BaseException as error:  # the parent must hear of it rather than wait on a silent pipe
        _last_word(out, ("crash", f"{type(error).__name__}: {error}"))


def _last_word(out: _Channel, message: tuple[Any, ...]) -> None:
    try:
        out.send(message)
    except OSError:  # the parent has gone (it stopped reading): nobody to tell
        pass


def main() -> None:
    """The child: its arguments come pickled on stdin, its messages go pickled to stdout."""
    args = pickle.load(sys.stdin.buffer)  # noqa: S301  # nosec B301 — written by the parent that started us
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the message stream
    _child(_Channel(out), *args)


class ProcessRecordReader:
    """The parent's side: iterate for the valid records. Use as a context manager (stops the child)."""

    def __init__(
        self,
        path: str | Path,
        filename: str,
        spec_key: str,
        *,
        errors: ErrorLog,
        limits: Limits,
        batch: int = BATCH,
    ) -> None:
        self.errors = errors
        self.data_rows = 0
        self.blank_rows = 0
        self.records = 0
        self._progress = 0.0
        # A fresh interpreter running this module (not multiprocessing, whose "spawn" re-imports the caller's
        # main script): it needs only this package.
        self._process = subprocess.Popen(  # nosec B603 — our own module, no shell
            [sys.executable, "-m", "shuangsuiji.tabular.parallel"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None:  # never: both are PIPE
            raise RuntimeError("the reading process has no pipes")
        self._stream = stdout
        try:
            pickle.dump((str(path), filename, spec_key, limits, batch), stdin)
            stdin.close()
        except OSError:
            pass  # it died at start: _receive says so
        message = self._receive()
        if message[0] != "header":
            self._fail(message)
        self._warnings: list[str] = message[1]

    def _receive(self) -> tuple[Any, ...]:
        try:
            return tuple(pickle.load(self._stream))  # noqa: S301  # nosec B301 — from our own child process
        except (EOFError, pickle.UnpicklingError):
            code = self._process.wait(timeout=5)
            return ("crash", f"the reading process ended unexpectedly (exit code {code})")

    def _forward(self, errors: list[tuple[Any, ...]]) -> None:
        for row, column, value, message, column_index in errors:
            self.errors.add(row, column, value, message, column_index)

    def _fail(self, message: tuple[Any, ...]) -> None:
        self.close()
        if message[0] == "error":
            _, code, text, row, column, detail, errors = message
            self._forward(errors)
            raise TabularError(code, text, row=row, column=column, detail=detail)
        raise RuntimeError(f"reading the file failed in its process: {message[1]}")

    def warnings(self) -> list[str]:
        return self._warnings

    def progress(self) -> float:
        return self._progress

    def __iter__(self) -> Iterator[Record]:
        while True:
            message = self._receive()
            kind = message[0]
            if kind == "batch":
                _, packed, errors, self._progress = message
                self._forward(errors)
                yield from _unpack(packed)
            elif kind == "end":
                _, self.data_rows, self.blank_rows, self.records = message
                self.close()
                return
            else:
                self._fail(message)

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._stream.close()

    def __enter__(self) -> ProcessRecordReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_records_in_process(
    path: str | Path, filename: str, spec_key: str, *, errors: ErrorLog, limits: Limits, batch: int = BATCH
) -> ProcessRecordReader:
    """`open_table` + `read_records` of ``SPECS[spec_key]`` in a child process (see the module's text)."""
    return ProcessRecordReader(path, filename, spec_key, errors=errors, limits=limits, batch=batch)


if __name__ == "__main__":
    main()
