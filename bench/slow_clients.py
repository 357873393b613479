"""Slow clients: can a handful of clients that send at one byte a second stall the site?

A gunicorn sync worker serves one connection at a time, for as long as the
client takes to send its request: two clients trickling a 100 kB body once
made ``/healthz`` unanswerable. The production entry point is nginx
(``deploy/nginx.conf``), which reads whole requests before the web server sees them.

The script opens ``--clients`` connections to ``--url`` that each announce a
``--body-bytes`` POST body and send it at one byte a second, and meanwhile
probes ``GET /healthz`` every 0.5 s for ``--seconds``. It prints the probes'
p50/p99/max latency and how many answered within 3 s, and exits 1 when any
did not. Everything is bounded: probes give up after ``--probe-timeout`` s,
and the slow clients hang up when the probing ends. Loopback only.

Against the web server directly, then through nginx with the repository's config
(``--with-nginx`` starts nginx from ``deploy/nginx.conf``, listening on the
``--url`` port and proxying to the given web server address, and stops it after):

    .venv/bin/python deploy/serve.py --host 127.0.0.1 --port 8801 &
    .venv/bin/python bench/slow_clients.py --url http://127.0.0.1:8801
    .venv/bin/python bench/slow_clients.py --url http://127.0.0.1:8802 --with-nginx 127.0.0.1:8801

It needs no Django and no database of its own: it only talks HTTP.
"""

import argparse
import http.client
import ipaddress
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
ANSWER_WITHIN_SECONDS = 3.0
PROBE_EVERY_SECONDS = 0.5


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    host, port = loopback_address(args.url)
    nginx = start_nginx(port, args.with_nginx) if args.with_nginx else None
    try:
        latencies = run(host, port, args)
    finally:
        if nginx is not None:
            stop_nginx(*nginx)
    return report(latencies, args)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="entry point (default %(default)s)")
    parser.add_argument("--clients", type=int, default=20, help="slow clients (default %(default)s)")
    parser.add_argument(
        "--body-bytes", type=int, default=100_000, help="announced body (default %(default)s)"
    )
    parser.add_argument("--seconds", type=float, default=15, help="probing time (default %(default)s)")
    parser.add_argument(
        "--probe-timeout", type=float, default=10, help="a probe gives up (default %(default)s)"
    )
    parser.add_argument(
        "--with-nginx",
        metavar="UPSTREAM",
        help="start nginx from deploy/nginx.conf on the --url port, proxying to UPSTREAM (host:port)",
    )
    return parser.parse_args(argv)


def loopback_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback:
        sys.exit(f"--url must be plain http on this machine (127.0.0.1, ::1, localhost), not {url!r}")
    return host, parts.port or 80


def run(host: str, port: int, args: argparse.Namespace) -> list[float | None]:
    """Trickle the slow clients while probing; each probe's latency, None for no answer in time."""
    stop = threading.Event()
    clients = [
        threading.Thread(target=slow_client, args=(host, port, args.body_bytes, stop), daemon=True)
        for _ in range(args.clients)
    ]
    for client in clients:
        client.start()
    time.sleep(1)  # let them take their connections first
    latencies: list[float | None] = []
    probes = []
    started = time.monotonic()
    while time.monotonic() - started < args.seconds:
        probe_thread = threading.Thread(target=probe, args=(host, port, args.probe_timeout, latencies))
        probe_thread.start()
        probes.append(probe_thread)
        time.sleep(PROBE_EVERY_SECONDS)
    for probe_thread in probes:
        probe_thread.join()
    stop.set()
    for client in clients:
        client.join(timeout=5)
    return latencies


def slow_client(host: str, port: int, body_bytes: int, stop: threading.Event) -> None:
    """Announce a JSON body of ``body_bytes`` and send it one byte a second until told to stop."""
    try:
        with socket.create_connection((host, port), timeout=5) as connection:
            connection.sendall(
                (
                    f"POST /api/auth/token HTTP/1.1\r\nHost: {host}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {body_bytes}\r\n\r\n"
                ).encode()
            )
            for _ in range(body_bytes):
                connection.sendall(b" ")
                if stop.wait(1):
                    return
    except OSError:
        return  # the server hung up on us: that is its right


def probe(host: str, port: int, timeout: float, latencies: list) -> None:
    started = time.monotonic()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", "/healthz")
        connection.getresponse().read()
    except OSError:
        latencies.append(None)
    else:
        latencies.append(time.monotonic() - started)
    finally:
        connection.close()


def report(latencies: list[float | None], args: argparse.Namespace) -> int:
    answered = [latency for latency in latencies if latency is not None]
    in_time = sum(1 for latency in answered if latency <= ANSWER_WITHIN_SECONDS)
    # A probe that got no answer counts as its timeout: a lower bound of its latency.
    measured = sorted(latency if latency is not None else args.probe_timeout for latency in latencies)
    through = " (nginx)" if args.with_nginx else ""
    print(
        f"{args.clients} slow clients ({args.body_bytes} B bodies at 1 B/s) against {args.url}{through}: "
        f"{len(latencies)} probes of /healthz over {args.seconds:g} s"
    )
    print(
        f"probe latency p50 {statistics.median(measured):.3f} s, p99 {percentile(measured, 0.99):.3f} s, "
        f"max {measured[-1]:.3f} s; no answer after {args.probe_timeout:g} s: {len(measured) - len(answered)}"
    )
    print(f"answered within {ANSWER_WITHIN_SECONDS:g} s: {in_time} of {len(latencies)}")
    if in_time == len(latencies):
        print("OK: the slow clients did not stall the server")
        return 0
    print("STALLED: the slow clients held up the server")
    return 1


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def local_nginx_config(*, upstream: str, port: int, workdir: str) -> str:
    """deploy/nginx.conf with only its upstream, port, pid file and access log changed."""
    config = NGINX_CONF.read_text()
    for old, new in (
        ("server web:8000;", f"server {upstream};"),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
        ("pid /tmp/nginx.pid;", f"pid {workdir}/nginx.pid;"),
        ("access_log /dev/stdout;", "access_log off;"),
    ):
        if old not in config:
            raise ValueError(f"deploy/nginx.conf no longer contains {old!r}: update bench/slow_clients.py")
        config = config.replace(old, new)
    return config


def start_nginx(port: int, upstream: str) -> tuple[subprocess.Popen, tempfile.TemporaryDirectory]:
    nginx = shutil.which("nginx") or sys.exit("--with-nginx needs nginx (apt-get install nginx-light)")
    workdir = tempfile.TemporaryDirectory(prefix="tixxety-nginx-")
    path = Path(workdir.name) / "nginx.conf"
    path.write_text(local_nginx_config(upstream=upstream, port=port, workdir=workdir.name))
    process = subprocess.Popen([nginx, "-c", str(path), "-p", workdir.name, "-g", "daemon off;"])  # noqa: S603
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, workdir
        except OSError:
            if process.poll() is not None:
                sys.exit(f"nginx exited with status {process.returncode}")
            time.sleep(0.1)
    process.terminate()
    sys.exit("nginx did not listen within 10 s")


def stop_nginx(process: subprocess.Popen, workdir: tempfile.TemporaryDirectory) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    workdir.cleanup()


if __name__ == "__main__":
    sys.exit(main())
