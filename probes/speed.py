"""Speed tests with the speedtest-cli library, and the line they ran on.

Against speedtest.net (``secure=True``, best or chosen server) or a self-hosted server
speaking the legacy HTTP protocol, given by URL (a province's server in its data
centre measures the access network). The self-hosted server serves its own
``speedtest-config.php`` beside ``upload.php``; speedtest-cli's protocol and server
handling are used as they are. A test that fails (no route, DNS, server gone,
timeout, stalled transfer, HTTP 403, nonsense answers) is a result too: a failed
attempt with its reason, position and time ("no service here" is evidence).

For the gigabit target each test records the interface it ran on (wired, Wi-Fi,
cellular), its negotiated link speed (psutil) and whether the download reached 90 %
of the line rate (the smaller of link speed and plan; TCP over
1 GbE carries at most about 940 Mbit/s of goodput after Ethernet, IP and TCP headers). The ISP name is
stored; the client's IP address only when asked (personal data).
"""
from __future__ import annotations

import re
import socket
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlparse

import speedtest

from phusong.errors import ConfigError
from phusong.host import interface_kind

TOOL = "speedtest-cli"
LINE_RATE_SHARE = 0.90
def interface_towards(host: str, port: int = 80) -> tuple[str | None, str, float | None]:
    """The interface a connection to ``host`` leaves by: name, kind, link speed (Mbit/s)."""
    import psutil

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((socket.gethostbyname(host), port))
            local = probe.getsockname()[0]
    except OSError:
        return None, "unknown", None
    for name, addresses in psutil.net_if_addrs().items():
        if any(a.address == local for a in addresses):
            stats = psutil.net_if_stats().get(name)
            speed = float(stats.speed) if stats is not None and stats.speed > 0 else None
            return name, interface_kind(name), speed
    return None, "unknown", None


SERVER_PATH = re.compile(r"^(?P<base>.*?)(/speedtest)?(/upload\.(php|asp|aspx|jsp))?/?$")
# speedtest.net's own defaults (its configuration of 2019-2024), for a plain web server
# that holds the legacy test files but no speedtest-config.php.
DEFAULT_CONFIG = {"client": {"ip": "", "isp": "", "lat": "0", "lon": "0"},
                  "ignore_servers": [], "sizes": {"upload": [32768, 65536, 131072, 262144,
                                                             524288, 1048576, 7340032],
                                                  "download": [350, 500, 750, 1000, 1500, 2000,
                                                               2500, 3000, 3500, 4000]},
                  "counts": {"upload": 8, "download": 4}, "threads": {"upload": 4,
                                                                      "download": 8},
                  "length": {"upload": 10, "download": 10}, "upload_max": 56}


def server_root(url: str) -> str:
    """The root of a self-hosted legacy server from any URL form users give: the root,
    ``…/speedtest/``, or ``…/speedtest/upload.php`` (``.asp``, ``.aspx``, ``.jsp``).

    Raises
    ------
    ConfigError
        For a URL that is not http(s) or names another file.
    """
    parts = urlparse(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"speed-test server {url!r} is not an http:// or https:// URL "
                          "(e.g. http://speedtest.example.vn/speedtest/upload.php)")
    if parts.query or parts.fragment or re.search(r"\.\w+$", parts.path) and not \
            re.search(r"/upload\.(php|asp|aspx|jsp)$", parts.path):
        raise ConfigError(f"speed-test server {url!r}: give the server's root or its "
                          ".../speedtest/upload.php, not another file")
    base = SERVER_PATH.match(parts.path)["base"]
    return f"{parts.scheme}://{parts.netloc}{base}"


class ServerSpeedtest(speedtest.Speedtest):
    """speedtest-cli reading its configuration from a self-hosted legacy server instead
    of speedtest.net (which a province's offline network cannot reach), or using
    speedtest.net's defaults when the server is a plain web server with the test files."""

    def __init__(self, server_url: str, **kwargs: Any) -> None:
        self._root = server_root(server_url)
        super().__init__(**kwargs)

    def get_config(self):
        original = speedtest.build_request

        def from_server(url, *args, **kwargs):
            if url.endswith("speedtest-config.php"):
                url = f"{self._root}/speedtest-config.php"
            return original(url, *args, **kwargs)

        speedtest.build_request = from_server
        try:
            return super().get_config() or self._defaults()
        except (speedtest.ConfigRetrievalError, speedtest.SpeedtestConfigError,
                speedtest.SpeedtestHTTPError, OSError, ValueError, KeyError):
            return self._defaults()
        finally:
            speedtest.build_request = original

    def _defaults(self) -> dict:
        import copy

        self.config.update(copy.deepcopy(DEFAULT_CONFIG))
        self.lat_lon = (0.0, 0.0)
        return self.config

    def use_server(self) -> None:
        """The self-hosted server as the only and best one (its upload URL by the legacy
        layout), its latency measured as speedtest-cli does."""
        host = urlparse(self._root).netloc
        self.servers = {0.0: [{"sponsor": "self-hosted", "name": host, "host": host,
                               "url": f"{self._root}/speedtest/upload.php", "latency": 0,
                               "id": 0, "d": 0}]}
        self.get_best_server(self.servers[0.0])


def server_problem(server_url: str, timeout: float = 5.0) -> str | None:
    """What keeps a self-hosted legacy server from being measured (``None`` when its
    latency file, its smallest test file and its upload all answer as the protocol says)."""
    import http.client

    root = urlparse(server_root(server_url))
    connection = http.client.HTTPSConnection if root.scheme == "https" else \
        http.client.HTTPConnection
    base = root.path.rstrip("/") + "/speedtest"
    try:
        conn = connection(root.hostname, root.port, timeout=timeout)
        conn.request("GET", base + "/latency.txt")
        reply = conn.getresponse()
        if reply.status != 200 or not reply.read(64).startswith(b"test=test"):
            return f"{base}/latency.txt does not answer test=test (HTTP {reply.status})"
        conn.request("GET", base + "/random350x350.jpg")
        reply = conn.getresponse()
        kind, length = reply.getheader("Content-Type", ""), reply.getheader("Content-Length")
        body = reply.read()
        if reply.status != 200 or "html" in kind.lower() or len(body) < MIN_DOWNLOAD_BYTES:
            return (f"{base}/random350x350.jpg is not the test file (HTTP {reply.status}, "
                    f"{kind or 'no type'}, {length or len(body)} bytes)")
        sent = b"content1=" + b"0" * 65_527
        conn.request("POST", base + "/upload.php", body=sent,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        reply = conn.getresponse()
        answer = reply.read(64).decode(errors="replace")
        if reply.status != 200 or not answer.startswith("size=") or \
                int(answer[5:].split()[0] or 0) < MIN_ACKNOWLEDGED * len(sent):
            return f"{base}/upload.php answers {answer[:30]!r} (HTTP {reply.status}) to an upload"
        conn.close()
    except (OSError, ValueError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def failure_reason(error: BaseException) -> str:
    """What a person can act on, from speedtest-cli's and the network's errors."""
    text = str(error) or type(error).__name__
    lowered = text.lower()
    if "403" in lowered or "forbidden" in lowered:
        return f"HTTP 403 from the server: {text}"
    if "stalled" in lowered:
        return text
    if "timed out" in lowered or isinstance(error, (socket.timeout, TimeoutError)):
        return f"timeout: {text}"
    if "name or service not known" in lowered or "nodename" in lowered \
            or "getaddrinfo" in lowered or isinstance(error, socket.gaierror):
        return f"DNS failure: {text}"
    if "refused" in lowered or "unreachable" in lowered or "no route" in lowered:
        return f"no route to the server: {text}"
    if isinstance(error, (speedtest.SpeedtestConfigError, speedtest.InvalidSpeedtestMiniServer)):
        return f"the server does not speak the speedtest protocol: {text}"
    if isinstance(error, (ValueError, ConfigError)):
        return text  # phusong's own checks say what was wrong in plain words
    return f"{type(error).__name__}: {text}"


@contextmanager
def _deadline(seconds: float):
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def run_speed_test(server_url: str | None = None, server_id: int | None = None,
                   plan_down_mbps: float | None = None, store_client_ip: bool = False,
                   timeout: float = 10.0, length_s: float | None = None) -> dict[str, Any]:
    """One speed test as a store record (``status`` ok or failed with ``failure_reason``);
    ``length_s`` overrides the server's test length for each direction."""
    started = datetime.now(timezone.utc)
    record: dict[str, Any] = {"tool": TOOL, "time_utc": started, "status": "ok",
                              "plan_down_mbps": plan_down_mbps}
    host = urlparse(server_url).hostname if server_url else "www.speedtest.net"
    name, kind, link = interface_towards(host or "www.speedtest.net")
    record.update(interface_kind=kind, link_speed_mbps=link, interface_name=name)
    try:
        with _deadline(timeout):
            result = _measure(server_url, server_id, timeout, length_s)
    except Exception as exc:  # noqa: BLE001 - any failure is a result with its reason
        record.update(status="failed", failure_reason=failure_reason(exc))
        return record
    record.update(result)
    if not store_client_ip:
        record.pop("client_ip", None)
    record["end_utc"] = datetime.now(timezone.utc)
    if not record.get("download_bps") and not record.get("upload_bps"):
        record.update(status="failed",
                      failure_reason="no data received: the transfers failed or stalled")
    record["reached_line_rate"] = reached_line_rate(record.get("download_bps"), link,
                                                    plan_down_mbps)
    return record


def reached_line_rate(download_bps: float | None, link_mbps: float | None,
                      plan_mbps: float | None) -> bool | None:
    """Whether a download reached 90 % of the line rate (link speed or plan, the lower);
    unknown without either."""
    rates = [r for r in (link_mbps, plan_mbps) if r]
    if download_bps is None or not rates:
        return None
    return download_bps >= LINE_RATE_SHARE * min(rates) * 1e6


STALL_MARGIN_S = 1.0
# A transfer that moves no byte for this long, while it should, has stalled.
STALL_S = 2.0
# A test file is at least this large (random350x350.jpg, the smallest, is 245 kB): a
# download that received less measured nothing.
MIN_DOWNLOAD_BYTES = 200_000
# The share of an upload the server must acknowledge (it answers size=N).
MIN_ACKNOWLEDGED = 0.9
READ_CHUNK = 64 * 1024
# The legacy test file random{N}x{N}.jpg holds about 2·N² bytes (random350x350.jpg: 245 kB,
# random4000x4000.jpg: 31.6 MB); one announced at under half of that is not the file.
TEST_FILE_SHARE = 0.5
UPLOAD_CHUNK = 256 * 1024
MAX_UPLOAD_CHUNK = 4 * 1024 * 1024


def _run_workers(worker, threads: int, wait_s: float) -> None:
    """Run ``threads`` copies of ``worker`` (daemon threads) and wait up to ``wait_s`` each."""
    workers = [threading.Thread(target=worker, daemon=True) for _ in range(max(threads, 1))]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(wait_s)


def acknowledged_upload(url: str, length_s: float, threads: int,
                        timeout: float) -> tuple[float, int]:
    """Upload rate (bit/s) from the bytes the server acknowledged, and those bytes.

    speedtest-cli counts upload bytes as they are handed to the socket, so the data
    still in the send buffers when its test ends is counted as sent (+13-21 % at
    50-200 Mbit/s on loopback, measured). This loop keeps speedtest-cli's server and
    protocol (POSTs to ``upload.php`` answered ``size=N``): threads post until the test
    length, every transfer started is completed, and the rate is all acknowledged
    bytes over the time to the last answer. Posts grow from 256 KiB to 4 MiB while
    they take under a quarter of a second, so slow and fast lines both keep the pipe
    full with few requests.
    """
    import http.client

    parts = urlparse(url)
    connection = http.client.HTTPSConnection if parts.scheme == "https" else \
        http.client.HTTPConnection
    start = time.perf_counter()
    done, finished, errors = [], [], []

    def worker() -> None:
        size, total, last = UPLOAD_CHUNK, 0, None
        try:
            conn = connection(parts.hostname, parts.port, timeout=timeout)
            while time.perf_counter() - start < length_s:
                began = time.perf_counter()
                conn.request("POST", parts.path, body=b"content1=" + b"0" * (size - 9),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
                reply = conn.getresponse().read().decode(errors="replace")
                if not reply.startswith("size="):
                    raise ValueError(f"the server answered {reply[:40]!r} to an upload")
                acknowledged = int(reply[5:].split()[0])
                if acknowledged < MIN_ACKNOWLEDGED * size:
                    raise ValueError(f"the server acknowledged {acknowledged} of the {size} "
                                     "bytes of an upload: its upload rate would be false")
                total += acknowledged
                last = time.perf_counter()
                if last - began < 0.25 and size < MAX_UPLOAD_CHUNK:
                    size *= 2
            conn.close()
        except (OSError, ValueError, http.client.HTTPException) as exc:
            errors.append(exc)
        done.append(total)
        if last is not None:
            finished.append(last)

    _run_workers(worker, threads, length_s + 2 * timeout)
    if not finished:
        if errors:
            raise errors[0]
        return 0.0, 0
    return 8 * sum(done) / (max(finished) - start), int(sum(done))


def timed_download(base_url: str, sizes: list[int], count: int, length_s: float,
                   threads: int, timeout: float) -> tuple[float, int]:
    """Download rate (bit/s) and bytes from the legacy test files, with each file checked
    and the transfer's own timeline read for stalls.

    Threads fetch ``random{N}x{N}.jpg`` in speedtest-cli's order until the test length;
    a file answered by an HTML page (a web server's "not found" page sent with status
    200) or cut short of its announced length is an error, as is less than
    :data:`MIN_DOWNLOAD_BYTES` in all, or a pause of :data:`STALL_S` with no byte
    arriving while transfers were under way (whatever the socket timeout).
    """
    import http.client
    from urllib.parse import urljoin

    parts = urlparse(base_url)
    connection = http.client.HTTPSConnection if parts.scheme == "https" else \
        http.client.HTTPConnection
    paths = [urlparse(urljoin(base_url + "/", f"random{n}x{n}.jpg")).path
             for n in sizes for _ in range(count)]
    lock, queue = threading.Lock(), list(paths)
    arrivals: list[tuple[float, int]] = []
    errors: list[Exception] = []
    start = time.perf_counter()

    def fetch(conn, path: str) -> None:
        conn.request("GET", path, headers={"Cache-Control": "no-cache"})
        response = conn.getresponse()
        kind = response.getheader("Content-Type", "")
        if response.status != 200:
            raise ValueError(f"the server answered HTTP {response.status} for {path}")
        if "html" in kind.lower():
            raise ValueError(f"the server answered a web page, not the test file, for "
                             f"{path}: it does not speak the speedtest protocol (is the URL "
                             "the speed-test server's?)")
        expected = response.getheader("Content-Length")
        side = int(re.search(r"random(\d+)x", path).group(1))
        if expected is not None and int(expected) < TEST_FILE_SHARE * 2 * side * side:
            raise ValueError(f"the server answered {expected} bytes for {path}, not the test "
                             f"file (about {2 * side * side} bytes): it does not speak the "
                             "speedtest protocol")
        received, first = 0, True
        while time.perf_counter() - start < length_s:
            chunk = response.read(READ_CHUNK)
            if not chunk:
                break
            if first and chunk.lstrip()[:1] == b"<":
                raise ValueError(f"the server answered a web page, not the test file, for "
                                 f"{path}: it does not speak the speedtest protocol (is the "
                                 "URL the speed-test server's?)")
            first = False
            received += len(chunk)
            with lock:
                arrivals.append((time.perf_counter(), len(chunk)))
        else:
            return  # the test length ended inside this file
        if expected is not None and received < int(expected):
            raise ValueError(f"{path} ended after {received} of its {expected} bytes")

    def worker() -> None:
        try:
            conn = connection(parts.hostname, parts.port, timeout=timeout)
            while time.perf_counter() - start < length_s:
                with lock:
                    if not queue:
                        break
                    path = queue.pop(0)
                fetch(conn, path)
            conn.close()
        except (socket.timeout, TimeoutError):
            errors.append(TimeoutError(f"stalled transfer: no data for {timeout:g} s (the "
                                       "socket timeout) during the download"))
        except (OSError, ValueError, http.client.HTTPException) as exc:
            errors.append(exc)

    _run_workers(worker, threads, length_s + 2 * timeout)
    stop = time.perf_counter()
    if errors and not arrivals:
        raise errors[0]
    _check_timeline(arrivals, start, min(stop, start + length_s), errors)
    total = sum(n for _, n in arrivals)
    if total < MIN_DOWNLOAD_BYTES:
        raise ValueError(f"the download received {total} bytes, less than one test file: "
                         "nothing was measured")
    return 8 * total / (max(t for t, _ in arrivals) - start), total


def _check_timeline(arrivals: list[tuple[float, int]], start: float, end: float,
                    errors: list[Exception]) -> None:
    """Refuse a download that paused :data:`STALL_S` or ended early with an error."""
    times = sorted([start] + [t for t, _ in arrivals])
    gaps = [b - a for a, b in zip(times, times[1:])] + [end - times[-1]]
    worst = max(gaps)
    if worst > STALL_S:
        at = times[gaps.index(worst)] - start
        raise TimeoutError(f"stalled transfer: no data for {worst:.1f} s after {at:.1f} s "
                           "of the download")
    if errors:
        raise errors[0]


def _measure(server_url: str | None, server_id: int | None, timeout: float,
             length_s: float | None = None) -> dict[str, Any]:
    if server_url:
        client = ServerSpeedtest(server_url, timeout=timeout, secure=server_url.startswith("https"))
        client.use_server()
    else:
        client = speedtest.Speedtest(timeout=timeout, secure=True)
        client.get_servers([server_id] if server_id else [])
        client.get_best_server()
    if length_s:
        client.config["length"] = {"download": length_s, "upload": length_s}
    started = time.perf_counter()
    base = client.best["url"].rsplit("/", 1)[0]
    download, received = timed_download(base, client.config["sizes"]["download"],
                                        client.config["counts"]["download"],
                                        client.config["length"]["download"],
                                        client.config["threads"]["download"], timeout)
    upload, sent = acknowledged_upload(client.best["url"], client.config["length"]["upload"],
                                       client.config["threads"]["upload"], timeout)
    results = client.results.dict()
    server = results.get("server") or {}
    return {
        "download_bps": download, "upload_bps": upload, "latency_ms": results.get("ping"),
        "method": "download: legacy test files, each checked, the timeline read for stalls; "
                  "upload: bytes acknowledged by the server",
        "bytes_received": received, "bytes_sent": sent,
        "server_id": str(server.get("id")) if server.get("id") is not None else None,
        "server_name": server.get("name") or server.get("sponsor"),
        "server_host": server.get("host") or urlparse(server.get("url", "")).netloc or None,
        "isp": (results.get("client") or {}).get("isp") or None,
        "client_ip": (results.get("client") or {}).get("ip") or None,
        "duration_s": time.perf_counter() - started,
    }


def run_iperf3(server: str, port: int = 5201, reverse: bool = True, seconds: int = 5,
               plan_down_mbps: float | None = None, timeout: float = 30.0) -> dict[str, Any]:
    """One iperf3 test (``iperf3 -c SERVER -J``; ``-R`` measures the download) as a store
    record, failed with the reason when iperf3 is missing or reports an error."""
    import json
    import subprocess

    from .importing import ImportOptions
    from .speed_logs import iperf3_result, json_documents

    started = datetime.now(timezone.utc)
    name, kind, link = interface_towards(server, port)
    record: dict[str, Any] = {"tool": "iperf3", "time_utc": started, "status": "ok",
                              "plan_down_mbps": plan_down_mbps, "interface_kind": kind,
                              "link_speed_mbps": link, "interface_name": name,
                              "server_host": f"{server}:{port}"}
    command = ["iperf3", "-c", server, "-p", str(port), "-J", "-t", str(seconds)] + \
        (["-R"] if reverse else [])
    try:
        answer = subprocess.run(command, capture_output=True, text=True, timeout=timeout + seconds)
    except FileNotFoundError:
        return {**record, "status": "failed",
                "failure_reason": "iperf3 is not installed (or not on PATH)"}
    except subprocess.TimeoutExpired:
        return {**record, "status": "failed", "failure_reason": f"timeout after {timeout} s"}
    documents = json_documents(answer.stdout)
    try:
        result = iperf3_result(documents[0], ImportOptions()) if documents else None
    except (KeyError, ValueError, TypeError) as exc:
        error = documents[0].get("error") if documents else None
        return {**record, "status": "failed", "failure_reason": f"iperf3: {error or exc}"}
    if result is None:
        return {**record, "status": "failed", "failure_reason":
                f"iperf3: {(answer.stderr or answer.stdout).strip()[:200] or 'no output'}"}
    record.update({k: result[k] for k in ("download_bps", "upload_bps", "bytes_received",
                                          "bytes_sent") if result.get(k) is not None})
    record["end_utc"] = datetime.now(timezone.utc)
    record["reached_line_rate"] = reached_line_rate(record.get("download_bps"), link,
                                                    plan_down_mbps)
    record["method"] = json.dumps({"iperf3": command[1:]})
    return record
