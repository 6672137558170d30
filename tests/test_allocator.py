"""glibc's arenas capped (syndicate/allocator.py): threads that come and go share two arenas instead of
taking one each."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# In a fresh interpreter: arenas are process-wide, and pytest's own threads may have made some already.
PROBE = """
import ctypes, sys, threading
sys.path.insert(0, sys.argv[2])
from syndicate import allocator

if sys.argv[1] == "capped":
    assert allocator.fewer_arenas()
barrier = threading.Barrier(8)

def work():
    kept = [bytearray(1000) for _ in range(1000)]  # small blocks: from the thread's arena, not mmap
    barrier.wait()  # all eight alive at once, as under a burst of requests

threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(None).malloc_stats()  # one "Arena N:" section per arena, on stderr
"""


def _arenas(mode: str) -> int:
    err = subprocess.run(
        [sys.executable, "-c", PROBE, mode, str(ROOT)], capture_output=True, text=True, check=True
    ).stderr
    return len(re.findall(r"^Arena \d+:", err, re.MULTILINE))


def test_threads_share_two_arenas_once_capped() -> None:
    assert 1 <= _arenas("capped") <= 2


def test_without_the_cap_each_thread_takes_an_arena_of_its_own() -> None:
    # The behaviour the cap is for: were this two or fewer, glibc would no longer need it.
    assert _arenas("default") > 2
