"""nginx in front of several ``search-app`` servers, run in the foreground from a folder of its own.

Used by ``bench/several_servers.py`` and ``tests/test_several_servers.py``; the README's
"Running on several machines" shows the same configuration. nginx retries a request on
the next server when one fails to connect or answers 502/503, so a server that is
restarting or switching generations costs no failed request.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONFIG = """\
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$status $upstream_addr $request_time';
    access_log {folder}/access.log upstream;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream search_app {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://search_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
"""


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(folder: Path, port: int, upstreams: list[str]) -> Path:
    """Write an nginx configuration balancing ``upstreams`` (``host:port``) on ``port``."""
    folder.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server {upstream} max_fails=0;" for upstream in upstreams)
    path = folder / "nginx.conf"
    path.write_text(CONFIG.format(folder=folder, servers=servers, port=port), encoding="utf-8")
    return path


@contextlib.contextmanager
def running_nginx(folder: Path, upstreams: list[str], seconds: float = 30) -> Iterator[str]:
    """Run nginx in the foreground in front of ``upstreams``; yield its base URL."""
    port = free_port()
    config = write_config(folder, port, upstreams)
    command = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config)]
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited: {process.stderr.read() if process.stderr else ''}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not answer on {base} within {seconds} s") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=15)


def upstreams_used(folder: Path) -> dict[str, int]:
    """Return how many requests nginx's access log shows each upstream answering."""
    counts: dict[str, int] = {}
    log = folder / "access.log"
    for line in log.read_text(encoding="utf-8").splitlines() if log.exists() else []:
        parts = line.split()
        if len(parts) >= 2:
            counts[parts[1]] = counts.get(parts[1], 0) + 1
    return counts
