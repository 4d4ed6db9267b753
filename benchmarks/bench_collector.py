"""Benchmark: many probes uploading to one collection server on loopback.

Run:  python benchmarks/bench_collector.py [--probes 20] [--batches 10] [--batch-size 200]

Starts ``phusong serve`` on a new central store, issues a token per probe, then each probe
(a thread) posts its batches of synthetic signal readings as fast as the server answers.
Prints readings stored per second, the latency of a batch (median and 99th percentile), and
checks that the server holds exactly as many readings as were sent: on the GeoPackage store
(one writer), and with ``--postgres`` also on PostgreSQL/PostGIS in a temporary cluster this
script starts (Debian's postgresql and postgis packages; as root it runs the cluster as the
postgres user).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readings(probe: str, n: int, start: int) -> list[dict]:
    return [{"reading_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{probe}/{start + i}")),
             "time_utc": f"2025-10-01T01:{(start + i) // 60 % 60:02d}:{(start + i) % 60:02d}Z",
             "lon": 106.19 + (start + i) * 1e-5, "lat": 21.27, "technology": "NR-NSA",
             "lte_rsrp_dbm": -95, "nr_ss_rsrp_dbm": -100, "operator": "452-04",
             "device_state": "data", "device_5g_capable": True} for i in range(n)]


def post(url: str, token: str, body: dict) -> float:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url + "/v1/batches", data, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as answer:
        answer.read()
    return time.perf_counter() - start


def temporary_postgres() -> tuple[str, Callable[[], None]]:
    """Start a throwaway PostgreSQL cluster on loopback (Debian's packages, the newest
    version installed; as root it runs as the postgres user, since initdb refuses root);
    ``(dsn, stop)``."""
    bin_dir = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
    # not under a folder private to root: the cluster runs as postgres
    folder = Path(tempfile.mkdtemp(prefix="phusong-pg-"))
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(folder, "postgres")
    subprocess.run([*as_pg, str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U",
                    "postgres", "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
    port = free_port()
    subprocess.run([*as_pg, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-w", "-l",
                    str(folder / "log"), "-o", f"-p {port} -k {folder} "
                    "-c listen_addresses=127.0.0.1 -c fsync=on", "start"],
                   check=True, capture_output=True)

    def stop() -> None:
        subprocess.run([*as_pg, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m",
                        "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)

    return f"postgresql://postgres@127.0.0.1:{port}/postgres", stop


def count_stored(central: Path, database: str | None) -> int:
    if database:
        import psycopg

        with psycopg.connect(database) as conn:
            return conn.execute("SELECT count(*) FROM signal_readings").fetchone()[0]
    with sqlite3.connect(central) as conn:
        return conn.execute("SELECT count(*) FROM signal_readings").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--postgres", action="store_true",
                        help="also measure the PostgreSQL/PostGIS store")
    args = parser.parse_args()
    run_against(args, None, "GeoPackage")
    if args.postgres:
        dsn, stop = temporary_postgres()
        try:
            run_against(args, dsn, "PostgreSQL/PostGIS")
        finally:
            stop()


def run_against(args, database: str | None, label: str) -> None:
    from phusong.server.tokens import TokenBook

    with tempfile.TemporaryDirectory() as tmp:
        central = Path(tmp) / "central.gpkg"
        book = TokenBook(central)
        tokens = {f"probe-{i}": book.add(f"probe-{i}") for i in range(args.probes)}
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "phusong.cli", "serve", "--store",
                                   str(central), "--port", str(port),
                                   *(["--database", database] if database else [])],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        latencies: list[float] = []
        lock = threading.Lock()

        def run(probe: str, token: str) -> None:
            for b in range(args.batches):
                body = {"probe_id": probe,
                        "signal": readings(probe, args.batch_size, b * args.batch_size)}
                seconds = post(url, token, body)
                with lock:
                    latencies.append(seconds)

        threads = [threading.Thread(target=run, args=item) for item in tokens.items()]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        server.terminate()
        server.wait()
        sent = args.probes * args.batches * args.batch_size
        stored = count_stored(central, database)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(f"{args.probes} probes × {args.batches} batches × {args.batch_size} readings "
          f"on loopback, {label} store")
    print(f"readings stored per second: {sent / elapsed:,.0f} ({sent:,} in {elapsed:.1f} s)")
    print(f"batch latency: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"99th percentile {p99 * 1000:.0f} ms")
    print(f"server holds {stored:,} of {sent:,} sent: {'equal' if stored == sent else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
