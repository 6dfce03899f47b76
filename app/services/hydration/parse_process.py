"""Parsing a consolidated document in a child process, so that it runs beside the inserts (docs/database.md).

Parsing (ijson) and building row tuples cost about as much CPU as SQLite's inserts. In a thread of the same
process they hold the GIL and never truly overlap with the inserting thread; in a child process they do.

- The parent reads the source (a local file or an S3 body: the child never opens it itself) in 1 MiB blocks
  in a feeder thread and sends them through a pipe (`send_bytes`; an empty block marks the end).
- The child reads those blocks as a file for `ijson.items(fh, "orders.item")` (`row_chunks`), builds rows
  with `order_row` and pickles chunks of `chunk_rows` rows, which a sender thread writes back (so the child
  parses on while the parent inserts). Records it had to skip are counted and reported with its end message.
- The parent's calling thread unpickles and inserts them. Pipes (1 MiB) block when full and the sender holds
  at most 2 chunks: memory stays bounded in both processes.
- A failure in the child (malformed JSON) is sent back and re-raised in the parent as the
  same exception; a read error of the source wins over what the child then saw of the cut stream. On every
  way out the child is terminated if still running and joined, and the feeder thread joined.

Start method: "forkserver". A hydration runs in a multi-threaded server, where plain fork is unsafe; the fork
server is a clean single-threaded process, started once, that preloads this module (ijson, orjson, the row
code) and the modules of the entry script (which children re-run), so each hydration's child is a cheap fork
of it (measured: docs/database.md). The entry script must be import-safe (`if __name__ == "__main__":`), as
for any spawn/forkserver use of multiprocessing.

Small documents (at most SMALL_DOCUMENT_BYTES, found by reading ahead that much) are parsed in-process: a child
costs a few ms, and a small document has nothing to overlap.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import pickle
import queue
import resource
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from types import ModuleType
from typing import IO, Any, cast

from app.models import fill_rows  # noqa: F401 (preloaded by the fork server with this module: fills' rows)
from app.models.order_rows import RecordKind, RejectedRows, prefetched, row_chunks

Rows = list[tuple[Any, ...]]
OpenSource = Callable[[], AbstractContextManager[IO[bytes]]]

BLOCK_BYTES = 1 << 20
SMALL_DOCUMENT_BYTES = 4 << 20
PIPE_BYTES = 1 << 20
_JOIN_TIMEOUT_S = 5.0
_preload_lock = threading.Lock()
_preload_set = False


class ParserProcessError(RuntimeError):
    """The parsing process ended without a result (killed, or out of memory)."""


class ChildTraceback(Exception):
    """The child's traceback, chained to the re-raised error so that the parent's log shows where it failed."""


@dataclass
class ParseStats:
    """How a document was parsed; logged with `hydration finished` (and read by the benchmark)."""

    parser: str = "in-process"
    child_peak_rss_mb: float | None = None
    child_rss_growth_mb: float | None = None
    rejected: RejectedRows = field(default_factory=RejectedRows)  # records skipped (counted, never stored)


@dataclass
class _Done:
    peak_rss_mb: float
    rss_growth_mb: float
    rejected: RejectedRows


@dataclass
class _Failure:
    error: BaseException
    traceback: str


def _entry_script_imports() -> list[str]:
    """The modules the entry script (`python run.py`) uses: preloaded so that its re-run in each child is cheap.

    multiprocessing re-runs a script `__main__` as `__mp_main__` in every spawn/forkserver child; the fork
    server's own `"__main__"` preload does not take effect on Python 3.11 (it looks up a key that
    get_preparation_data never sets), so the script's imports are preloaded instead. (`python -m pkg` mains
    are not re-run.)
    """
    main = sys.modules["__main__"]
    if getattr(main.__spec__, "name", None) is not None:
        return []
    names = {
        value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        for key, value in vars(main).items()
        if not key.startswith("__")
    }
    return sorted(n for n in names if isinstance(n, str) and n in sys.modules and n != "__main__")


def _forkserver() -> ForkServerContext:
    """The forkserver context; its preload is set before the fork server starts (once per process)."""
    global _preload_set
    context = multiprocessing.get_context("forkserver")
    with _preload_lock:
        if not _preload_set:
            context.set_forkserver_preload([__name__, *_entry_script_imports()])
            _preload_set = True
    return context


@contextmanager
def order_chunks(
    open_source: OpenSource,
    account_id: str,
    chunk_rows: int,
    in_subprocess: bool | None,
    stats: ParseStats,
    kind: RecordKind = "orders",
) -> Iterator[Iterator[Rows]]:
    """Chunks of rows of the document's `kind` array (orders or fills): parsed in a child process, in-process
    (False), or by size (None)."""
    if in_subprocess is False:
        with prefetched(open_source, account_id, chunk_rows, rejected=stats.rejected, kind=kind) as chunks:
            yield chunks
        return
    with open_source() as stream:
        head = b"" if in_subprocess else _read_up_to(stream, SMALL_DOCUMENT_BYTES + 1)
        if in_subprocess is None and len(head) <= SMALL_DOCUMENT_BYTES:  # the whole (small) document
            yield row_chunks(io.BytesIO(head), account_id, chunk_rows, stats.rejected, kind)
            return
        stats.parser = "subprocess"
        with child_parsed_chunks(stream, head, account_id, chunk_rows, stats, kind) as chunks:
            yield chunks


def _read_up_to(stream: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes (fewer only at the end): one read() may return less than asked."""
    parts, total = [], 0
    while total < size and (block := stream.read(size - total)):
        parts.append(block)
        total += len(block)
    return b"".join(parts)


@contextmanager
def child_parsed_chunks(
    stream: IO[bytes],
    head: bytes,
    account_id: str,
    chunk_rows: int,
    stats: ParseStats,
    kind: RecordKind = "orders",
) -> Iterator[Iterator[Rows]]:
    """Chunks of rows of `head` + the rest of `stream`, parsed in a child process (see the module doc)."""
    context = _forkserver()
    source_out, source_in = context.Pipe(duplex=False)  # parent -> child: the document's bytes
    rows_out, rows_in = context.Pipe(duplex=False)  # child -> parent: pickled chunks of rows
    for pipe in (source_in, rows_out):
        _widen(pipe)
    child = context.Process(
        target=_child_main, args=(source_out, rows_in, account_id, chunk_rows, kind), name="hydrate-parse"
    )
    try:
        child.start()
    finally:  # the child has its own copies: ours must go, so that its exit shows as EOF / EPIPE here
        source_out.close()
        rows_in.close()
    feeder = _Feeder(stream, head, source_in)
    finished = False
    try:
        feeder.start()
        for_caller = _received(rows_out, feeder, stats)
        yield for_caller
        finished = stats.child_peak_rss_mb is not None
    finally:
        _reap(child, graceful=finished)
        feeder.join()
        rows_out.close()


def _widen(pipe: multiprocessing.connection.Connection) -> None:
    """1 MiB pipe buffers (Linux; 64 KiB by default): fewer wake-ups per 1.5 MB chunk. Best effort."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or above /proc/sys/fs/pipe-max-size
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _received(
    rows_out: multiprocessing.connection.Connection, feeder: _Feeder, stats: ParseStats
) -> Iterator[Rows]:
    while True:
        try:
            message = rows_out.recv()
        except EOFError:
            feeder.raise_read_error()
            raise ParserProcessError("the parsing process ended without a result") from None
        if isinstance(message, list):
            yield message
            continue
        feeder.raise_read_error()  # a dropped download: the child only saw a cut document
        if isinstance(message, _Failure):
            raise message.error from ChildTraceback(message.traceback)
        stats.child_peak_rss_mb, stats.child_rss_growth_mb = message.peak_rss_mb, message.rss_growth_mb
        stats.rejected = message.rejected
        return


def _reap(child: BaseProcess, graceful: bool) -> None:
    """Terminate (unless it finished) and join the child: no zombie, no orphan left running."""
    if graceful:
        child.join(_JOIN_TIMEOUT_S)
    if child.exitcode is None:
        child.terminate()
        child.join(_JOIN_TIMEOUT_S)
    if child.exitcode is None:
        child.kill()
        child.join()
    child.close()


class _Feeder(threading.Thread):
    """Sends the source's bytes to the child; a read error is kept for the parent, a closed pipe ends it."""

    def __init__(self, stream: IO[bytes], head: bytes, pipe: multiprocessing.connection.Connection) -> None:
        super().__init__(name="hydrate-feed", daemon=True)
        self._stream, self._head, self._pipe = stream, head, pipe
        self.read_error: Exception | None = None

    def run(self) -> None:
        try:
            if self._head:
                self._pipe.send_bytes(self._head)
            self._head = b""
            while block := self._read():
                self._pipe.send_bytes(block)
            self._pipe.send_bytes(b"")
        except OSError:  # the child is gone (finished, failed or terminated): its outcome tells the story
            pass
        finally:
            self._pipe.close()

    def _read(self) -> bytes:
        try:
            return self._stream.read(BLOCK_BYTES)
        except Exception as exc:
            self.read_error = exc
            return b""  # the child sees a cut document and fails; the parent raises read_error instead

    def raise_read_error(self) -> None:
        if self.read_error is not None:
            raise self.read_error


class PipeReader:
    """The receiving end of the source pipe as a binary file for ijson (read(n) returns at most n bytes)."""

    def __init__(self, pipe: multiprocessing.connection.Connection) -> None:
        self._pipe, self._block, self._pos, self._ended = pipe, b"", 0, False

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        if self._pos >= len(self._block) and (self._ended or not self._next_block()):
            return b""
        end = len(self._block) if size < 0 else self._pos + size
        data = self._block[self._pos : end]
        self._pos += len(data)
        return data

    def _next_block(self) -> bool:
        try:
            self._block, self._pos = self._pipe.recv_bytes(), 0
        except EOFError:  # the parent went away without the end marker: a cut document
            self._block = b""
        self._ended = not self._block
        return not self._ended


def _child_main(
    source_out: multiprocessing.connection.Connection,
    rows_in: multiprocessing.connection.Connection,
    account_id: str,
    chunk_rows: int,
    kind: RecordKind = "orders",
) -> None:
    """In the child: parse the piped document and send its rows back, then _Done (or _Failure)."""
    start_mb = _peak_rss_mb()
    sender = _Sender(rows_in)
    sender.start()
    rejected = RejectedRows()
    try:
        reader = cast(IO[bytes], PipeReader(source_out))  # file-like enough for ijson: read(n) only
        for chunk in row_chunks(reader, account_id, chunk_rows, rejected, kind):
            sender.put(chunk)
        peak_mb = _peak_rss_mb()
        sender.put(_Done(round(peak_mb, 1), round(peak_mb - start_mb, 1), rejected))
    except Exception as exc:
        sender.put(_Failure(_picklable(exc), traceback.format_exc()))
    finally:
        sender.finish()
        source_out.close()


class _Sender(threading.Thread):
    """In the child: writes pickled messages to the parent while the main thread parses the next chunk.

    A pipe holds 64 KiB, a chunk ~1.5 MB: without this thread the child would wait for the parent to finish
    inserting before it could parse on. At most QUEUED_CHUNKS wait here, so memory stays bounded.
    """

    QUEUED_CHUNKS = 2

    def __init__(self, pipe: multiprocessing.connection.Connection) -> None:
        super().__init__(name="hydrate-send", daemon=True)
        self._pipe = pipe
        self._queue: queue.Queue[bytes | memoryview | None] = queue.Queue(maxsize=self.QUEUED_CHUNKS)

    def put(self, message: object) -> None:
        data = ForkingPickler.dumps(message)  # what Connection.send does, here in the parsing thread
        while self.is_alive():
            try:
                self._queue.put(data, timeout=0.1)
                return
            except queue.Full:
                continue
        raise BrokenPipeError("the parent stopped reading")

    def run(self) -> None:
        try:
            while (data := self._queue.get()) is not None:
                self._pipe.send_bytes(data)
        except OSError:  # the parent is gone or stopped reading: nothing left to do
            pass
        finally:
            self._pipe.close()

    def finish(self) -> None:
        while self.is_alive():
            try:
                self._queue.put(None, timeout=0.1)
                break
            except queue.Full:
                continue
        self.join()


def _picklable(exc: Exception) -> Exception:
    """The exception itself when it survives pickling, else a RuntimeError with the same text."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 (our own bytes, just made)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
