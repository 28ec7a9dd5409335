"""A full build asks for huge pages where the system gives them on request (indexer.huge_pages)."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer.huge_pages import (
    HUGE_PAGES_TUNABLE,
    THP_SETTING,
    TUNABLES,
    c_library,
    huge_pages_on_request,
    rerun_command,
)
from indexer.store import LOCK, IndexStore

BIN = Path(sys.executable).parent
MADVISE = "always [madvise] never\n"
# fcntl's command for file leases (Linux), which the module names only on some versions.
F_SETLEASE = getattr(fcntl, "F_SETLEASE", 1024)


@pytest.mark.parametrize(
    ("setting", "libc", "environ", "asked"),
    [
        (MADVISE, "glibc 2.36", {}, True),
        (MADVISE, "glibc 2.35", {TUNABLES: "glibc.malloc.arena_max=2"}, True),
        ("[always] madvise never\n", "glibc 2.36", {}, False),  # every program has them
        ("always madvise [never]\n", "glibc 2.36", {}, False),  # none does
        (MADVISE, "glibc 2.31", {}, False),  # a glibc without the tunable
        (MADVISE, "", {}, False),  # not glibc
        (MADVISE, "glibc 2.36", {TUNABLES: HUGE_PAGES_TUNABLE}, False),  # started again already
        (MADVISE, "glibc 2.36", {TUNABLES: "glibc.malloc.hugetlb=0"}, False),  # turned off
    ],
)
def test_starts_again_only_where_it_gains_huge_pages(
    setting: str, libc: str, environ: dict[str, str], asked: bool
) -> None:
    assert huge_pages_on_request(setting, libc, environ) is asked


def test_the_command_started_again_keeps_other_tunables_and_arguments() -> None:
    command, environ = rerun_command(
        ["--full", "--index", "ix"], {TUNABLES: "glibc.malloc.arena_max=2", "A": "1"}
    )
    assert command == [sys.executable, "-m", "indexer", "--full", "--index", "ix"]
    assert environ == {TUNABLES: f"glibc.malloc.arena_max=2:{HUGE_PAGES_TUNABLE}", "A": "1"}


def test_a_full_build_runs_with_huge_pages_asked_for_where_they_are_given(
    corpus_dir: Path, tmp_path: Path
) -> None:
    """The installed command, held as it opens the index's lock file, shows what it runs with."""
    index_dir = tmp_path / "ix"
    environ = {key: value for key, value in os.environ.items() if key != TUNABLES}
    expected = huge_pages_on_request(THP_SETTING.read_text(encoding="ascii"), c_library(), environ)
    command = [
        str(BIN / "reindex"),
        "--corpus",
        str(corpus_dir),
        "--index",
        str(index_dir),
        "--full",
        "--wait",
        "30",
    ]
    index_dir.mkdir()
    lock = index_dir / LOCK
    lock.touch()
    with _opening_watched(lock):
        process = subprocess.Popen(command, env=environ, stderr=subprocess.PIPE, text=True)
        # Its lease broken: reindex (after starting again, if it does) opens the lock file
        # and waits in that open until the lease is let go.
        assert signal.sigtimedwait([signal.SIGIO], 30) is not None, "reindex never opened its lock file"
        environ_read = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    tunables = [item.decode() for item in environ_read if item.startswith(f"{TUNABLES}=".encode())]
    assert any(HUGE_PAGES_TUNABLE in item for item in tunables) is expected
    assert IndexStore(index_dir).require_current().path.is_dir()


@contextmanager
def _opening_watched(path: Path) -> Iterator[None]:
    """Hold a read lease on ``path``: a process opening it to write waits, and this one
    gets SIGIO (blocked here, to be waited for), until the lease is let go at the end."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGIO])
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.fcntl(descriptor, F_SETLEASE, fcntl.F_RDLCK)
        yield
    finally:
        fcntl.fcntl(descriptor, F_SETLEASE, fcntl.F_UNLCK)
        os.close(descriptor)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
