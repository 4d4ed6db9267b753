"""Benchmark: the highest rate the probe measures on loopback, beside curl and plain
speedtest-cli against the same server, in one run.

Run:  python benchmarks/bench_probe.py [--rate-mbps 20000]

Starts the loopback legacy server from tests/ with a pace far above what a 2-core
machine moves (so the machines' CPUs, not the pace, set the ceiling), then measures the
download with curl (one 40 MB file), speedtest-cli's own download and upload loops
(library, configuration read from the server), and the probe (speedtest-cli's
download, the acknowledged-bytes upload). A gigabit line must not be limited by the
probe: its ceiling should sit well above 1,000 Mbit/s.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "legacy_speedtest_server.py"


def curl_mbps(port: int) -> float | None:
    if shutil.which("curl") is None:
        return None
    url = f"http://127.0.0.1:{port}/speedtest/random4500x4500.jpg"
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download}", url],
                         capture_output=True, text=True, timeout=120)
    return float(out.stdout) * 8 / 1e6


def speedtest_cli_mbps(url: str) -> tuple[float, float]:
    from phusong.probes.speed import ServerSpeedtest

    client = ServerSpeedtest(url, timeout=10)
    client.set_mini_server(url)
    client.get_best_server(client.servers)
    return client.download() / 1e6, client.upload(pre_allocate=False) / 1e6


def probe_mbps(url: str) -> tuple[float, float]:
    from phusong.probes.speed import run_speed_test

    record = run_speed_test(url)
    return (record.get("download_bps") or 0) / 1e6, (record.get("upload_bps") or 0) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate-mbps", type=float, default=20_000)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, str(SERVER), "--rate-mbps", str(args.rate_mbps),
                               "--length", "5", "--lifetime", "300"], stdout=subprocess.PIPE,
                              text=True)
    try:
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}/speedtest/upload.php"
        time.sleep(0.2)
        curl = curl_mbps(port)
        plain_down, plain_up = speedtest_cli_mbps(url)
        probe_down, probe_up = probe_mbps(url)
    finally:
        server.kill()
    print(f"loopback legacy server, pace {args.rate_mbps:,.0f} Mbit/s (the Python server "
          "and the client share 2 cores)")
    print(f"curl (one file, download)      {curl:8.0f} Mbit/s" if curl else "curl: not installed")
    print(f"speedtest-cli download/upload  {plain_down:8.0f} / {plain_up:8.0f} Mbit/s")
    print(f"phusong probe download/upload  {probe_down:8.0f} / {probe_up:8.0f} Mbit/s")
    if curl:
        print(f"probe download / curl: {probe_down / curl:.2f}")


if __name__ == "__main__":
    main()
