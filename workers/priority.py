"""A pool process's priority: below the worker's main process (config.Settings.worker_nice)."""

from __future__ import annotations

import os
from typing import Any

from syndicate.config import get_settings


def yield_to_the_main_process(**_: Any) -> None:
    """For ``worker_process_init`` (prefork pool processes only): the main process, which hands every task over
    and acks it, and the broker go first when the cores are busy."""
    nice = get_settings().worker_nice
    if nice:
        os.nice(nice)
