"""A full build asks for huge pages where the system gives them on request (indexer.huge_pages)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.huge_pages import (
    HUGE_PAGES_TUNABLE,
    THP_SETTING,
    TUNABLES,
    huge_pages_on_request,
    rerun_command,
)
from indexer.store import LOCK, IndexStore

BIN = Path(sys.executable).parent
MADVISE = "always [madvise] never\n"


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
    """The installed command, waiting for the index's lock, shows what it runs with."""
    index_dir = tmp_path / "ix"
    environ = {key: value for key, value in os.environ.items() if key != TUNABLES}
    libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    expected = huge_pages_on_request(THP_SETTING.read_text(encoding="ascii"), libc, environ)
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
    with IndexStore(index_dir).writer_lock(wait_seconds=0):
        process = subprocess.Popen(command, env=environ, stderr=subprocess.PIPE, text=True)
        tunables = _tunables_once_waiting(process.pid, index_dir / LOCK)
    _, err = process.communicate(timeout=60)  # the lock is let go: the build goes on
    assert process.returncode == 0, err
    assert (HUGE_PAGES_TUNABLE in tunables) is expected
    assert IndexStore(index_dir).require_current().path.is_dir()


def _tunables_once_waiting(pid: int, lock: Path) -> str:
    """Return the glibc tunables process ``pid`` runs with once it has the index's
    ``lock`` file open (it waits for the lock: after starting again, if it does)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            opened = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except FileNotFoundError:  # a descriptor closed as it was listed
            continue
        if str(lock) in opened:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            found = [item.decode() for item in environ if item.startswith(f"{TUNABLES}=".encode())]
            return found[0] if found else ""
        time.sleep(0.05)
    raise AssertionError(f"reindex never opened {lock}")
