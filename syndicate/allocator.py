"""glibc's allocator, told to give large blocks back to the system as soon as they are freed.

glibc serves a block of 128 KB or more with its own mmap, unmapped again on free, until the first such block is
freed: from then on it raises that threshold to the size freed (up to 32 MB), and blocks that size come from
the heap. An API process replaces its feed documents (up to a few hundred KB each) whenever a render announces
them, and those came from the heap after the first replacement: the heap's free space grew by about 10 MB per
1,000 releases published (measured with mallinfo2: the memory in use stayed flat while the heap grew past it),
and it is never returned, as small blocks that live on sit between the freed ones. With the threshold fixed,
the large blocks go back to the system when freed, and the process stops growing (bench/memory.py).
"""

from __future__ import annotations

import ctypes
import sys

#: mallopt's parameter for the mmap threshold (malloc.h); setting it also turns glibc's raising of it off.
M_MMAP_THRESHOLD = -3
#: glibc's own starting value.
THRESHOLD = 128 * 1024


def return_large_blocks(threshold: int = THRESHOLD) -> bool:
    """Fix the mmap threshold in this process; False where the C library is not glibc (nothing to fix)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, threshold))
