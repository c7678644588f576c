"""What the measurements share: figures, servers, databases, a light HTTP client, statistics.

Every server started here listens on 127.0.0.1 only and is stopped when its `with` block ends,
whatever happens inside it. Every loop is bounded by a count or a deadline.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
HOST = "127.0.0.1"

# The organisations every bench database holds. Real local-authority codes and names; every
# record is synthetic.
PROVIDER = "avon-rhi"
AUTHORITIES = ("800", "801", "802", "803")
ORGANISATIONS = (
    (PROVIDER, "Avon Return Interview Service", "rhi_provider"),
    ("800", "Bath and North East Somerset Council", "local_authority"),
    ("801", "Bristol City Council", "local_authority"),
    ("802", "North Somerset Council", "local_authority"),
    ("803", "South Gloucestershire Council", "local_authority"),
)

# One pair of secrets for the whole run: the seed computes `child_key` with the pseudonym key the
# server is then started with.
SECRET_KEY = secrets.token_urlsafe(48)
PSEUDONYM_KEY = secrets.token_urlsafe(48)


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


# --- figures ---------------------------------------------------------------------------------


@dataclass
class Figure:
    """One row of the table: a measured figure, its baseline from the same run, the ratio."""

    key: str  # "1a", "2", ...
    what: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_what: str = ""
    ratio: float | None = None  # value ÷ baseline, unless `ratio_note` says otherwise
    ratio_note: str = ""
    target: str = ""
    ok: bool | None = None  # None: no target, or not measured
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), nearest-rank on the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(q / 100 * len(ordered) + 0.5))))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


# --- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def app_env(database_url: str) -> dict[str, str]:
    """The environment of an `rhi` process on the given database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RHI_")}
    env.update({"RHI_DATABASE_URL": database_url, "RHI_ENV": "test",
                "RHI_SECRET_KEY": SECRET_KEY, "RHI_PSEUDONYM_KEY": PSEUDONYM_KEY,
                "PYTHONUNBUFFERED": "1"})
    return env


def rhi_command() -> str:
    beside = Path(PYTHON).with_name("rhi")
    return str(beside if beside.exists() else ROOT / ".venv" / "bin" / "rhi")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in bytes."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                out[name] = int(rest.split()[0]) * 1024
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (uvicorn's worker processes), as far as /proc tells."""
    found: list[int] = []
    queue = [pid]
    while queue and len(found) < 256:
        current = queue.pop()
        found.append(current)
        with contextlib.suppress(OSError, ValueError):
            for task in Path(f"/proc/{current}/task").iterdir():
                queue += [int(child) for child in (task / "children").read_text().split()]
    return found


def tree_cpu_seconds(pids: Iterable[int]) -> float:
    """CPU time used so far by these processes and their descendants alive now."""
    return sum(cpu_seconds(each) for pid in pids for each in process_tree(pid))


class RssSampler:
    """Polls a process's RSS in a thread (VmHWM is the kernel's own peak; this is a check)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, proc_status(self.pid).get("VmRSS", 0))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly on SIGINT
    try:
        process.wait(timeout=15)
        return
    except subprocess.TimeoutExpired:
        pass
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def serving(name: str, args: Sequence[str], env: dict[str, str], log_dir: Path,
            health_path: str = "/healthz", startup_timeout: float = 180) -> Iterator[Server]:
    """Start a server process (its command takes `--port`), wait until it answers, and stop it
    (SIGINT, then SIGTERM, then SIGKILL) when the block ends, also on failure."""
    port = free_port()
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen([*args, "--host", HOST, "--port", str(port)],  # noqa: S603
                                   env=env, cwd=ROOT, stdout=log_file,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        server = Server(name, process, port, log_path)
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n"
                                       f"{server.log_tail()}")
                with contextlib.suppress(OSError, http.client.HTTPException):
                    conn = http.client.HTTPConnection(HOST, port, timeout=5)
                    try:
                        conn.request("GET", health_path)
                        if conn.getresponse().status == 200:
                            break
                    finally:
                        conn.close()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer {health_path} within "
                                       f"{startup_timeout:.0f} s:\n{server.log_tail()}")
                time.sleep(0.2)
            yield server
        finally:
            _stop(process)


def rhi_serve(name: str, database_url: str, log_dir: Path, workers: int = 1
              ) -> contextlib.AbstractContextManager[Server]:
    """`rhi serve` with `workers` processes, always said: its default may not be one."""
    return serving(name, [rhi_command(), "serve", "--workers", str(workers)],
                   app_env(database_url), log_dir)


# --- databases -------------------------------------------------------------------------------


def use_app_settings(database_url: str) -> None:
    """Point this process's `app` settings at a database (for in-process setup)."""
    os.environ.update(app_env(database_url))
    from app.core.db import forget_engine
    from app.core.settings import get_settings

    with contextlib.suppress(Exception):
        forget_engine()
    get_settings.cache_clear()


def prepare_database(database_url: str, *, users: Iterable[tuple[str, str, str, str]] = (),
                     keys: Iterable[tuple[str, Sequence[str]]] = ()) -> list[str]:
    """Migrate a database to head and add the organisations, people and API keys; returns the
    keys' plaintexts. `users`: (email, name, role, password); `keys`: (name, scopes), all in
    the provider organisation."""
    use_app_settings(database_url)
    from sqlalchemy.orm import Session

    from app.accounts import service as accounts
    from app.accounts.api_keys import create_api_key
    from app.core.db import get_engine, upgrade_database

    upgrade_database(database_url)
    plaintexts = []
    with Session(get_engine(), expire_on_commit=False) as session:
        for code, name, kind in ORGANISATIONS:
            if accounts.get_organisation(session, code) is None:
                accounts.create_organisation(session, code, name, kind)
        session.flush()
        for email, name, role, password in users:
            accounts.create_user(session, email, name, PROVIDER, role, password)
        for key_name, scopes in keys:
            _, plaintext = create_api_key(session, PROVIDER, key_name, scopes, expires_days=30)
            plaintexts.append(plaintext)
        session.commit()
    get_engine().dispose()
    return plaintexts


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_url(database: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"


def pg_recreate(database: str) -> None:
    """Drop and create one of the bench's own PostgreSQL databases (never `test`)."""
    if not database.startswith("rhi_bench"):
        raise ValueError(f"refusing to recreate {database!r}: bench databases are rhi_bench*")
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')


def pg_drop(database: str) -> None:
    if not database.startswith("rhi_bench"):
        raise ValueError(f"refusing to drop {database!r}: bench databases are rhi_bench*")
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as problem:  # any failure means "skip PostgreSQL", reported as such
        return f"{type(problem).__name__}: {problem}"
    return None


# --- a light HTTP/1.1 client -----------------------------------------------------------------


class Client:
    """One keep-alive connection (http.client: far less client CPU per request than httpx,
    which matters on two cores shared with the server). Not thread-safe: one per thread."""

    def __init__(self, port: int, timeout: float = 300, headers: dict[str, str] | None = None):
        self.port, self.timeout = port, timeout
        self.headers = dict(headers or {})
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def close(self) -> None:
        self.conn.close()

    def _reconnect(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes, float]:
        """(status, headers, body, seconds from sending to the last byte)."""
        merged = {**self.headers, **(headers or {})}
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=merged)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._reconnect()
                if attempt == 2:
                    raise
                continue
            elapsed = time.perf_counter() - started
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data, elapsed
        raise AssertionError("unreachable")  # pragma: no cover

    def stream(self, path: str, on_chunk: Callable[[bytes], None],
               headers: dict[str, str] | None = None, chunk: int = 1 << 20
               ) -> tuple[int, dict[str, str], int, float]:
        """GET and hand each piece of the body to `on_chunk`; (status, headers, bytes, seconds)."""
        started = time.perf_counter()
        self.conn.request("GET", path, headers={**self.headers, **(headers or {})})
        response = self.conn.getresponse()
        total = 0
        while True:
            data = response.read(chunk)
            if not data:
                break
            total += len(data)
            on_chunk(data)
        elapsed = time.perf_counter() - started
        return response.status, {k.lower(): v for k, v in response.getheaders()}, total, elapsed


@dataclass
class LoadResult:
    latencies: list[float]  # seconds, of the successful requests
    statuses: dict[int, int]
    errors: list[str]
    wall: float
    done: int
    truncated: bool

    def summary(self) -> dict[str, Any]:
        lat = self.latencies
        return {
            "requests": self.done, "ok": len(lat), "statuses": self.statuses,
            "errors": self.errors[:5], "error_count": len(self.errors),
            "wall_s": round(self.wall, 3),
            "throughput_rps": round(len(lat) / self.wall, 2) if self.wall else None,
            "p50_ms": _ms(percentile(lat, 50)), "p95_ms": _ms(percentile(lat, 95)),
            "p99_ms": _ms(percentile(lat, 99)), "max_ms": _ms(max(lat) if lat else None),
            "truncated": self.truncated,
        }


def _ms(seconds: float | None) -> float | None:
    return round(seconds * 1000, 2) if seconds is not None else None


Task = Callable[[Client], tuple[int, float]]  # a request: (status, seconds)


def run_load(port: int | Sequence[int], tasks: Sequence[Task], concurrency: int, *,
             ok: Callable[[int], bool], deadline_s: float,
             headers: dict[str, str] | None = None,
             setup: Callable[[Client, int], None] | None = None) -> LoadResult:
    """Run the tasks on `concurrency` threads, each with its own connection, until all are done
    or the deadline passes. `ok(status)` decides which latencies count. Given several ports
    (servers behind a load balancer without sticky sessions), each thread keeps a connection to
    each and sends its requests to them in turn, starting at a different one per thread."""
    ports = [port] if isinstance(port, int) else list(port)
    lock = threading.Lock()
    position = 0
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    done = 0
    stop_at = time.monotonic() + deadline_s
    truncated = False

    def worker(index: int) -> None:
        nonlocal position, done, truncated
        clients = [Client(each, headers=headers) for each in ports]
        turn = index
        try:
            if setup is not None:
                for client in clients:
                    setup(client, index)
            while True:
                client = clients[turn % len(clients)]
                turn += 1
                with lock:
                    if position >= len(tasks):
                        return
                    if time.monotonic() > stop_at:
                        truncated = True
                        return
                    task = tasks[position]
                    position += 1
                try:
                    status, seconds = task(client)
                except Exception as problem:  # counted and reported, never silent
                    with lock:
                        errors.append(f"{type(problem).__name__}: {problem}")
                        done += 1
                    client._reconnect()
                    continue
                with lock:
                    done += 1
                    statuses[status] = statuses.get(status, 0) + 1
                    if ok(status):
                        latencies.append(seconds)
                    elif len(errors) < 1000:
                        errors.append(f"HTTP {status}")
        finally:
            for client in clients:
                client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=deadline_s + 120)
    wall = time.perf_counter() - started
    return LoadResult(latencies, statuses, errors, wall, done, truncated)


class Progress:
    """A one-line progress bar on standard error."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, max(1, total)
        self.started = time.perf_counter()
        self.last = 0.0
        self.tty = sys.stderr.isatty()

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if done < self.total and now - self.last < (0.5 if self.tty else 15):
            return
        self.last = now
        width = 30
        filled = done * width // self.total
        elapsed = now - self.started
        rate = done / elapsed if elapsed else 0
        eta = (self.total - done) / rate if rate else 0
        line = (f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{self.total:,} "
                f"{rate:,.0f}/s, {elapsed:,.0f} s, eta {eta:,.0f} s")
        if self.tty:
            sys.stderr.write("\r" + line + ("\n" if done >= self.total else ""))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
