"""Insert-ready batches of a read, made in this process or with a worker process.

An import takes the rows as insert-ready columns (:meth:`PopulationSource.row_batches`,
which returns a :class:`RowBatches`), and a large file is parsed in a worker process while the
importing process decides and inserts the rows: the two processes then share the work about
evenly. This module holds the worker's side (:func:`_worker_main`, :func:`_send_all`) and the
importer's (:class:`RowBatches`), and the messages between them.
"""

from __future__ import annotations

import logging
import marshal
import multiprocessing
import os
import pickle
import queue
import sys
import threading
import traceback
import types
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

from audit_app.core.population.rows import Progress, RowBatch, _chunks, _Parsed, _ReadState, _row_batch
from audit_app.errors import PopulationError

if TYPE_CHECKING:
    from audit_app.core.population.source import PopulationSource

# Records per insert-ready batch (about 0.5 MB sent from a worker process): few enough for a
# batch's strings to stay in the CPU caches from the pipe to SQLite (with 8192, a million
# police.uk rows took 0.4-0.5 s longer).
CHUNK_ROWS = 2048
WORKER_MIN_BYTES = 8 * 1024 * 1024  # smaller files are read in-process: a worker takes ~0.1 s to start
WORKER_QUEUE = 8  # runs of records a worker may have ready before the importer takes them

log = logging.getLogger(__name__)


class RowBatches:
    """The insert-ready batches of one read (see :meth:`PopulationSource.row_batches`).

    With a worker process, the file is read and parsed (step 1) by a child started with the
    "spawn" method, the only one Windows has (a frozen application must call
    ``multiprocessing.freeze_support()`` first thing in its main script), while this process
    decides the rows (step 2) and inserts them. The child sends runs of about
    :data:`CHUNK_ROWS` records through a pipe as :mod:`marshal` data (many times faster than
    pickle), each text column joined into one string. The pipe holds one message at a time,
    so the child works at most one run ahead and memory stays bounded. A
    :class:`PopulationError` in the child is raised again here, as it was raised there.
    """

    def __init__(
        self, source: PopulationSource, progress: Progress | None, worker_min_bytes: int | None, chunk_rows: int | None
    ):
        """Use :meth:`PopulationSource.row_batches` (its parameters are this one's)."""
        threshold = WORKER_MIN_BYTES if worker_min_bytes is None else worker_min_bytes
        self._source = source
        self._progress = progress
        self._chunk_rows = chunk_rows or CHUNK_ROWS
        self._process: Any = None
        self._receiver: Any = None
        self._finished = False
        self.in_worker = source.size_bytes >= threshold

    def __enter__(self) -> Self:
        if self.in_worker:
            self._start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def read(self, known: AbstractSet[str] = frozenset()) -> Iterator[RowBatch]:
        """The batches, in file order; a row whose ref is in ``known`` is rejected as already
        imported. ``rows_read`` of the source is set once the last batch has been taken.

        :raises PopulationError: as :meth:`PopulationSource.read` does.
        """
        state = _ReadState()
        if self.in_worker:
            parsed = self._from_worker()
        else:
            parsed = _chunks(self._source._parsed_batches(self._progress, encode=True), self._chunk_rows)
        for chunk in parsed:
            yield _row_batch(state, chunk, known)
        self._source.rows_read -= state.blank

    def close(self) -> None:
        """Stop the worker (at once, unless it has sent everything) and release the pipe."""
        process, self._process = self._process, None
        if process is None:
            return
        self._receiver.close()  # a worker blocked on sending now fails, and ends
        if not self._finished:
            process.terminate()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
        process.close()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker_main, args=(self._source, sender, self._chunk_rows), name="population reader", daemon=True
        )
        try:
            with _main_module_blanked():
                process.start()
        except OSError as exc:  # no process to be had (resource limits): read in this process instead
            log.warning("population worker process could not start (%s); reading in-process", exc)
            self._receiver.close()
            self.in_worker = False
            return
        finally:
            sender.close()  # the child holds its own end: the pipe ends when the child does
        self._process = process

    def _from_worker(self) -> Iterator[_Parsed]:
        if self._process is None:
            raise RuntimeError("Enter RowBatches (with ...) before reading it: that starts the worker.")
        receive, loads = self._receiver.recv_bytes, marshal.loads
        progress, total = self._progress, self._source.size_bytes
        while True:
            try:
                message = receive()
            except (EOFError, OSError):
                self._process.join(5)
                raise PopulationError(
                    f"Reading '{self._source.path.name}' stopped: its worker process ended unexpectedly "
                    f"(exit code {self._process.exitcode})."
                ) from None
            kind, body = message[:1], memoryview(message)[1:]
            if kind == _MESSAGE_ROWS:
                first, count, columns, extras, flags, problems, widths, done = loads(body)
                columns, extras = list(map(_unpack, columns)), _unpack(extras)
                if any(len(column) != count for column in columns) or len(extras) != count:
                    # a NUL where the scan found none: the file changed since (see _worker_main)
                    raise PopulationError(f"'{self._source.path.name}' changed while it was being read: import it again.")
                yield _Parsed(first, count, columns, extras, flags, problems, widths)
            elif kind == _MESSAGE_END:
                self._source.rows_read, done = loads(body)
                self._finished = True
            else:
                raise pickle.loads(body)
            if done >= 0 and progress:
                progress(done, total)
            if self._finished:
                return


@contextmanager
def _main_module_blanked() -> Iterator[None]:
    """While a worker is spawned, an empty module stands in for the main one.

    A spawned child runs the parent's main script again (as ``__mp_main__``) before it unpickles
    its target, in case the target or its arguments come from that script. The worker's come
    from this package only, and the application's main script (the CLI's or the GUI's) imports
    nearly all of it: about 0.2 s before the child reads a row, and tens of MB. A main module
    with neither a file nor a spec is left alone by the child (see multiprocessing.spawn's
    get_preparation_data). The stand-in is there only while the child's start is prepared.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is None:
            del sys.modules["__main__"]
        else:
            sys.modules["__main__"] = main


_MESSAGE_ROWS, _MESSAGE_END, _MESSAGE_ERROR = b"R", b"Z", b"E"
_JOINER = "\x00"


def _pack(texts: list[str], nul_free: bool = False) -> str | list[str]:
    """A column of texts as one string joined by NUL (several times cheaper to send than a
    list), or the list itself if a text holds a NUL or the column is empty.

    :param nul_free: the texts are known to hold no NUL, so they are not searched for one.
    """
    if not texts:
        return texts
    joined = _JOINER.join(texts)
    return joined if nul_free or joined.count(_JOINER) == len(texts) - 1 else texts


def _unpack(packed: str | list[str]) -> list[str]:
    return packed.split(_JOINER) if isinstance(packed, str) else packed


def _worker_main(source: PopulationSource, sender: Any, chunk_rows: int) -> None:
    """The worker process: parse ``source`` and send its runs of records, then the end (or the error).

    Messages wait in a small queue for a sending thread, so parsing goes on while the parent
    is busy inserting (the pipe itself holds a fraction of one message).
    """
    sys.setswitchinterval(0.001)  # let the sending thread in soon when the parent takes a message
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=WORKER_QUEUE)
    sending = threading.Thread(target=_send_all, args=(outbox, sender), name="population sender", daemon=True)
    sending.start()
    done = [-1]  # the last progress point reached, sent (once) with the next message

    def note(position: int, total: int) -> None:
        done[0] = position

    # A CSV file holds no NUL unless it is UTF-16 (the scan refuses a NUL byte in any other).
    nul_free = source.format == "csv" and source.encoding != "utf-16"
    dumps, post = marshal.dumps, outbox.put
    try:
        for chunk in _chunks(source._parsed_batches(note, encode=True), chunk_rows):
            post(_MESSAGE_ROWS + dumps((
                chunk.first, chunk.count, [_pack(column, nul_free) for column in chunk.columns],
                _pack(chunk.extras, nul_free), chunk.flags, chunk.problems, chunk.widths, done[0],
            )))
            done[0] = -1
        post(_MESSAGE_END + dumps((source.rows_read, done[0])))
    except KeyboardInterrupt:
        os._exit(1)  # interrupted with the parent (Ctrl+C): the parent stops and records nothing
    except Exception as exc:  # noqa: BLE001 - every failure goes to the parent, which raises it
        post(_MESSAGE_ERROR + _pickled_error(exc))
    post(None)
    sending.join()
    sender.close()


def _send_all(outbox: queue.Queue[bytes | None], sender: Any) -> None:
    try:
        while (message := outbox.get()) is not None:
            sender.send_bytes(message)
    except OSError:
        os._exit(1)  # the parent has stopped listening (it failed, or was interrupted): just end


def _pickled_error(exc: Exception) -> bytes:
    """The exception to raise in the parent: this one if it pickles, else a RuntimeError with its traceback."""
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
        return data
    except Exception:  # noqa: BLE001
        text = "".join(traceback.format_exception(exc))
        return pickle.dumps(RuntimeError(f"The population reader failed:\n{text}"))
