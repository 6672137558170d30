"""What the benchmarks share: a service in a temporary data folder, free ports, wrk, result records."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
PY = [sys.executable, "-m", "syndicate"]


@dataclass
class Result:
    name: str
    figures: dict[str, Any]
    reference: str
    ratio: float | None
    target: str
    passed: bool | None
    notes: list[str] = field(default_factory=list)

    def show(self) -> None:
        ratio = "—" if self.ratio is None else f"{self.ratio:.2f}"
        verdict = {True: "pass", False: "FAIL", None: "report"}[self.passed]
        print(f"{self.name}: {json.dumps(self.figures, ensure_ascii=False)}")
        print(f"  reference: {self.reference}; ratio {ratio}; target {self.target}: {verdict}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env["SYNDICATE_DATA_DIR"] = str(data_dir)
    env["SYNDICATE_SUBMIT_PER_MINUTE"] = "0"  # benchmarks submit far faster than any comms team
    env.update(extra)
    return env


@contextmanager
def embedded_broker(tmp: Path, **extra: str) -> Iterator[dict[str, str]]:
    """The service's environment (``service_env`` of ``tmp/data``) on an embedded Redis of its own, stopped after."""
    from syndicate.embedded import EmbeddedRedis

    redis = EmbeddedRedis(tmp / "redis")
    url = redis.start()
    try:
        yield service_env(tmp / "data", SYNDICATE_BROKER_URL=url, **extra)
    finally:
        redis.stop()


def p95(ordered: list[float]) -> float:
    """The 95th percentile of sorted figures (nearest rank)."""
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def use_service(env: dict[str, str]) -> None:
    """Point this process's syndicate (settings, database, Celery app) at the service ``env`` describes, as its
    own processes see it: SYNDICATE_* variables of an earlier benchmark in the same run are dropped first."""
    for key in [k for k in os.environ if k.startswith("SYNDICATE_")]:
        del os.environ[key]
    os.environ.update(env)
    from syndicate.config import get_settings
    from workers.celery_app import reconfigure

    get_settings.cache_clear()
    reconfigure()


def upgrade(env: dict[str, str]) -> None:
    """`syndicate db upgrade` for the service ``env`` points at, in this process (the CLI's own function, without
    the seconds a new interpreter takes to import it)."""
    use_service(env)
    from syndicate.store.migrate import upgrade_and_sync

    upgrade_and_sync()


def create_key(env: dict[str, str], agency: str) -> str:
    """An API key for ``agency`` in the service that ``env`` points at: what `syndicate keys create` does (upgrade,
    then create), in this process."""
    upgrade(env)
    from syndicate.store import keys
    from syndicate.store.db import session

    with session() as s:
        return keys.create_key(s, agency)


#: What a Celery worker logs when it consumes ("celery@host ready.", "pipeline@host ready.").
_READY = re.compile(r"@\S+ ready\.")

#: Readiness polls: a service that is up is used within this much (the old 0.1 s added up over a run).
POLL = 0.02


def wait_ready(log: Path, timeout: float = 60, count: int = 1) -> None:
    """Wait for ``count`` Celery workers' "ready." in their (shared) log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and len(_READY.findall(log.read_text(errors="replace"))) >= count:
            return
        time.sleep(POLL)
    raise SystemExit(f"worker did not start: {log.read_text(errors='replace')[-2000:] if log.exists() else ''}")


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            try:
                if client.get(url).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(POLL)
    raise SystemExit(f"{url} did not come up")


def _stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, ``grace`` seconds to exit, then SIGKILL for it and every descendant still there (a Celery pool
    process, or the embedded Redis that `syndicate up` starts in a session of its own)."""
    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    for member in family:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait()


#: How long a stopping Celery worker (or `syndicate up`) gets before it is killed. Its warm shutdown takes
#: about 3 s whatever it did (billiard sleeps 1 s in every pool process on exit), and by then the benchmark has
#: its figures: waiting for it only lengthened the run.
WORKER_GRACE = 0.1


@contextmanager
def process(
    args: list[str], env: dict[str, str], log: Path | None = None, grace: float = 20
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") if log else open(os.devnull, "wb") as out:
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            _stop(proc, grace)


NGINX_CONF = """
worker_processes 1;
user root;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    default_type application/rss+xml;
    charset utf-8;
    charset_types application/rss+xml;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        etag on;
    }}
}}
"""


@contextmanager
def nginx(tmp: Path, root: Path) -> Iterator[str]:
    """Debian's nginx, one worker, serving the files under ``root`` (as RSS, UTF-8, with ETag and
    Last-Modified from each file's mtime and size) on a free loopback port; yields its base URL. ``tmp``
    holds its configuration, pid and temp folders."""
    if not shutil.which("nginx"):
        raise SystemExit("needs nginx (Debian: apt-get install nginx-light)")
    port = free_port()
    (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, port=port, root=root))
    with process(["nginx", "-c", str(tmp / "nginx.conf"), "-p", str(tmp)], os.environ.copy()):
        yield f"http://127.0.0.1:{port}"


def wrk(url: str, seconds: int, connections: int = 8, headers: dict[str, str] | None = None) -> float:
    """Requests per second that wrk measured (one thread, `connections` connections)."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in out:
        raise SystemExit(f"wrk saw error responses from {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise SystemExit(f"cannot read wrk output:\n{out}")
    return float(match.group(1))


def median(values: list[float]) -> float:
    return float(statistics.median(values))
