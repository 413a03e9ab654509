"""Reading one input file (topology.yaml, topology.lock.json, a rendered .tf) safely.

Only regular files are read (not a directory, FIFO or device: a FIFO would block forever),
at most `limit` bytes, as UTF-8. Every failure is a located problem on the file itself, so a
local file error exits 2 with its path like any other input error.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from generator.errors import Problem, TopologyError

MAX_TF_BYTES = 20_000_000  # a rendered root of a few hundred stages is a few MB


def _fail(shown: str, message: str, line: int = 1, column: int = 1) -> TopologyError:
    return TopologyError([Problem(shown, line, column, "(file)", message)])


def exists(path: Path) -> bool:
    """True when something (even a dangling symlink) is at `path`."""
    return os.path.lexists(path)


def read_text(path: Path, shown: str, limit: int) -> str:
    """The text of the regular file at `path`; TopologyError (located at `shown`) otherwise."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise _fail(shown, "a symbolic link to a file that does not exist") from None
        raise _fail(shown, "no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _fail(shown, "a symbolic link loop") from None
        raise _fail(shown, f"cannot read it ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise _fail(shown, "a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise _fail(shown, "not a regular file (a FIFO, socket or device)")
    if info.st_size > limit:
        raise _fail(shown, f"{info.st_size:,} bytes, over the limit of {limit:,}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise _fail(shown, "not a regular file")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise _fail(shown, f"cannot read it ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise _fail(shown, f"over the limit of {limit:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise _fail(shown, f"not UTF-8 text ({exc.reason})", line, column) from None
