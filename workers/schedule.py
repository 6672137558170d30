"""The beat schedule: periodic sweeps. Each entry is cheap when there is nothing to do."""

from __future__ import annotations

from typing import Any

from syndicate.config import get_settings

#: A compressed clock (``time_scale`` < 1) shortens the sweeps, but never below this: a sweep every few
#: milliseconds would only load the broker.
MIN_PERIOD = 0.5


def _every(seconds: float) -> float:
    scaled = seconds * get_settings().time_scale
    return max(min(seconds, MIN_PERIOD), scaled)


def schedule() -> dict[str, dict[str, Any]]:
    return {
        # Embargoes lift within seconds of their minute.
        "release-embargoes": {"task": "syndicate.pipeline.release_embargoes", "schedule": _every(5.0)},
        # A release whose next step was lost (killed worker, broker down at enqueue) moves on again.
        "resume-stalled": {"task": "syndicate.pipeline.resume_stalled", "schedule": _every(15.0)},
        # Translations that every provider failed are tried again (each on its own backoff).
        "retry-translations": {"task": "syndicate.pipeline.retry_translations", "schedule": _every(30.0)},
        # Any feed left stale (a render task lost to a crash) is rendered again.
        "render-stale": {"task": "syndicate.pipeline.render", "schedule": _every(60.0)},
        # Sources whose next poll time has come are enqueued, one poll task each (the "poll" queue).
        "poll-due": {"task": "syndicate.poll.due", "schedule": _every(15.0)},
        # Partner messages whose (re)try time has come; retries live in the database, not in countdowns.
        "deliveries-due": {"task": "syndicate.deliver.due", "schedule": _every(2.0)},
        # Feeds changed since the last WebSub ping (a failed ping is made up here).
        "websub-announce": {"task": "syndicate.deliver.websub", "schedule": _every(15.0)},
    }
