"""A loopback server speaking speedtest.net's legacy HTTP protocol, for the probe's tests.

Run:  python legacy_speedtest_server.py --rate-mbps 200 [--mode normal|drop|stall|garbage|forbidden]
Prints its port on the first line, then serves until killed. Only ever binds 127.0.0.1.

Paths: ``/speedtest-config.php`` (settings XML), ``/speedtest-servers-static.php`` (server
list), ``/speedtest/latency.txt``, ``/speedtest/random{N}x{N}.jpg`` (bytes, paced),
``POST /speedtest/upload.php`` (reads the body, paced, answers ``size=N``) and ``/`` (a
mini server's page with ``upload_extension: "php"``). The pace is shared by all
connections (a token bucket), in each direction. Modes for failure tests: ``drop``
closes transfers half-way, ``stall`` stops sending, ``pause`` stops sending for 3 s
once per file (less than a probe's socket timeout), ``garbage`` answers junk to
everything, ``forbidden`` answers 403, ``short-ack`` acknowledges 1 byte per upload,
``html`` answers the test files with a 200 HTML page, ``plain`` is a plain web server
with the test files and upload.php but no ``speedtest-config.php`` and no mini page.
"""
from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024
TEST_LENGTH_S = 4

CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<settings>
<client ip="127.0.0.1" lat="21.2731" lon="106.1946" isp="Loopback ISP" isprating="3.7" rating="0" ispdlavg="0" ispulavg="0" loggedin="0" country="VN" />
<server-config threadcount="4" ignoreids="" notonmap="" forcepingid="" preferredserverid=""/>
<download testlength="{length}" initialtest="250K" mintestsize="250K" threadsperurl="4"/>
<upload testlength="{length}" ratio="5" initialtest="0" mintestsize="32K" threads="2" maxchunksize="512K" maxchunkcount="50" threadsperurl="4"/>
</settings>
"""
SERVERS = """<?xml version="1.0" encoding="UTF-8"?>
<settings><servers>
<server url="http://127.0.0.1:{port}/speedtest/upload.php" lat="21.2731" lon="106.1946" name="Bắc Ninh" country="Vietnam" cc="VN" sponsor="Loopback" id="1" host="127.0.0.1:{port}"/>
</servers></settings>
"""


class Bucket:
    """Tokens (bytes) refilled at ``rate`` bytes/s, shared by every connection."""

    def __init__(self, rate: float) -> None:
        self.rate, self.tokens, self.stamp = rate, 0.0, time.perf_counter()
        self.lock = threading.Lock()

    def take(self, n: int) -> None:
        while True:
            with self.lock:
                now = time.perf_counter()
                self.tokens = min(self.tokens + (now - self.stamp) * self.rate, self.rate * 0.05)
                self.stamp = now
                if self.tokens >= n:
                    self.tokens -= n
                    return
                wait = (n - self.tokens) / self.rate
            time.sleep(min(wait, 0.01))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "phusong-test/1"

    def log_message(self, *args) -> None:
        pass

    def _send(self, body: bytes, code: int = 200, kind: str = "text/plain") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _refuse(self) -> bool:
        mode = self.server.mode
        if mode == "forbidden":
            self._send(b"Forbidden", 403)
            return True
        if mode == "garbage":
            self._send(b"\x00\xffnot the protocol\x13" * 20)
            return True
        return False

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self._refuse():
            return
        path = self.path.split("?")[0]
        if path.endswith("speedtest-config.php") and self.server.mode != "plain":
            self._send(CONFIG.format(length=self.server.length).encode(), kind="text/xml")
        elif path.endswith("speedtest-servers-static.php") or path.endswith("servers.php"):
            self._send(SERVERS.format(port=self.server.server_port).encode(), kind="text/xml")
        elif "latency.txt" in path:
            self._send(b"test=test\n")
        elif re.search(r"random(\d+)x\1\.jpg$", path) and self.server.mode == "html":
            self._send(b"<!DOCTYPE html><html><body>Welcome</body></html>", kind="text/html")
        elif re.search(r"random(\d+)x\1\.jpg$", path):
            side = int(re.search(r"random(\d+)x", path).group(1))
            self._stream(side * side * 2)
        elif path in ("/", "/speedtest/", "/speedtest") and self.server.mode == "plain":
            self._send(b"<html><body>Index of /</body></html>", kind="text/html")
        elif path in ("/", "/speedtest/", "/speedtest"):
            self._send(b'<html><script>var upload_extension: "php";</script></html>',
                       kind="text/html")
        else:
            self._send(b"not found", 404)

    def _stream(self, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent, block = 0, b"\x5a" * CHUNK
        while sent < size:
            n = min(CHUNK, size - sent)
            if self.server.mode == "drop" and sent >= size // 2:
                self.connection.close()
                return
            if self.server.mode == "stall" and sent >= CHUNK:
                time.sleep(3600)
            if self.server.mode == "pause" and sent == CHUNK:
                time.sleep(3.0)
            self.server.down.take(n)
            self.wfile.write(block[:n])
            sent += n

    def do_POST(self) -> None:  # noqa: N802
        if self._refuse():
            return
        length = int(self.headers.get("Content-Length", 0))
        received = 0
        while received < length:
            n = min(CHUNK, length - received)
            self.server.up.take(n)
            data = self.rfile.read(n)
            if not data:
                break
            received += len(data)
        self._send(f"size={1 if self.server.mode == 'short-ack' else received}".encode())


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # clients close transfers at their test length: not an error


def serve(rate_mbps: float, mode: str, length: int) -> ThreadingHTTPServer:
    server = QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.mode, server.length = mode, length
    server.down = Bucket(rate_mbps * 1e6 / 8)
    server.up = Bucket(rate_mbps * 1e6 / 8)
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate-mbps", type=float, default=100.0)
    parser.add_argument("--mode", default="normal",
                        choices=("normal", "drop", "stall", "pause", "garbage", "forbidden",
                                 "short-ack", "html", "plain"))
    parser.add_argument("--length", type=int, default=TEST_LENGTH_S)
    parser.add_argument("--lifetime", type=float, default=600.0)
    args = parser.parse_args()
    server = serve(args.rate_mbps, args.mode, args.length)
    print(server.server_port, flush=True)
    threading.Timer(args.lifetime, server.shutdown).start()  # bounded: stops by itself
    server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
