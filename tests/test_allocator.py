"""glibc's mmap threshold fixed (syndicate/allocator.py): a large block freed does not make later large blocks
come from the heap, where their holes would stay."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# In a fresh interpreter: the threshold is process-wide, and pytest's own allocations have moved it already.
PROBE = """
import ctypes, sys
sys.path.insert(0, sys.argv[2])
from syndicate import allocator

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
if sys.argv[1] == "fixed":
    assert allocator.return_large_blocks()
big = bytearray(8 * 2**20)  # mmapped, then freed: glibc raises its threshold to 8 MB unless it is fixed
del big
before = libc.mallinfo2().hblkhd
block = bytearray(2**20)
print(libc.mallinfo2().hblkhd - before)
"""


def _mapped_bytes(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode, str(ROOT)], capture_output=True, text=True, check=True
    ).stdout
    return int(out)


def test_a_large_block_is_mapped_on_its_own_after_the_threshold_is_fixed() -> None:
    assert _mapped_bytes("fixed") >= 2**20


def test_without_it_glibc_serves_the_same_block_from_the_heap() -> None:
    # The behaviour the fix is for: were this ever 1 MB, glibc would no longer need it.
    assert _mapped_bytes("default") == 0
