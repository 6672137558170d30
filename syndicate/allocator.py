"""glibc's allocator in a threaded process: two arenas, not one per thread.

glibc gives each new thread that allocates an arena of its own, up to eight per core, and an arena is never
given back. The API's synchronous routes and feed loads run on AnyIO's worker threads, which exit when idle
and start again under the next burst of requests; each new set of threads took fresh arenas, each keeping
its own free memory, until the cap. Measured on `syndicate up` (bench/memory.py, PSS of the API process):
about 9 MB more after every burst of 1,000 submissions, up to 159 MB from 116 MB idle; with two arenas it
settled at 142 MB after the second burst. The interpreter lock lets one thread run Python at a time, so two
arenas cost no measurable waiting.
"""

from __future__ import annotations

import ctypes
import sys

#: mallopt's parameter for the arena cap (malloc.h).
M_ARENA_MAX = -8
ARENAS = 2


def fewer_arenas(arenas: int = ARENAS) -> bool:
    """Cap this process's arenas (before its threads start); False where the C library is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))
