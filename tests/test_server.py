"""The collection server, run for real (``phusong serve`` on loopback): tokens, exactly-once
delivery through kills of the server, hostile input, and a fuzz of its own OpenAPI spec."""
from __future__ import annotations

import http.server
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
import schemathesis  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from helpers import free_port as _free_port  # noqa: E402
from helpers import run_cli  # noqa: E402
from phusong.probes.sync import SyncError, json_record, neighbours_of, sync  # noqa: E402
from phusong.server.app import create_app  # noqa: E402
from phusong.server.tokens import TokenBook  # noqa: E402
from phusong.store import SIGNAL_LAYER, ReadingStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "gnettrack_sample.txt"


class Server:
    """``phusong serve`` in its own process."""

    def __init__(self, store: Path, port: int, database: str | None = None) -> None:
        self.store, self.port, self.proc = store, port, None
        self.database = database
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> "Server":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "phusong.cli", "serve", "--store", str(self.store),
             "--port", str(self.port), *(["--database", self.database] if self.database else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 90  # a loaded CI machine starts it in seconds, not 90
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not start: " + self.log()[-2000:])

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def log(self) -> str:
        self.kill()
        return self.proc.stderr.read().decode(errors="replace")


def _local_store(folder: Path, probe_id: str = "car-1") -> Path:
    store = folder / "local.gpkg"
    run_cli("import", "gnettrack", str(SAMPLE), "--store", str(store), "--probe-id", probe_id)
    return store


def _ids(store: Path) -> list[str]:
    with sqlite3.connect(store) as conn:
        return [r[0] for r in conn.execute(f'SELECT reading_id FROM "{SIGNAL_LAYER}"')]


def _post(url: str, body: dict, token: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url + "/v1/batches", json.dumps(body).encode(), headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_tokens_from_the_cli_and_who_may_upload_what(tmp_path):
    central = tmp_path / "central.gpkg"
    out = run_cli("serve", "token", "add", "car-1", "--store", str(central)).stdout.decode()
    token = out.strip().splitlines()[-1]
    other = run_cli("serve", "token", "add", "car-2", "--store", str(central)).stdout.decode()
    planner = run_cli("serve", "token", "add", "ke-hoach", "--planner", "--store",
                      str(central)).stdout.decode().strip().splitlines()[-1]
    stored = (tmp_path / "central.gpkg.tokens.json").read_text(encoding="utf-8")
    assert token not in stored and len(token) >= 40  # only its hash is kept
    server = Server(central, _free_port()).start()
    try:
        body = {"probe_id": "car-1", "signal": []}
        assert _post(server.url, body, None) == 401
        assert _post(server.url, body, "not-a-token") == 401
        assert _post(server.url, body, other.strip().splitlines()[-1]) == 403  # another probe
        assert _post(server.url, body, planner) == 403  # planners only read
        assert _post(server.url, body, token) == 200
        run_cli("serve", "token", "revoke", "car-1", "--store", str(central))
        assert _post(server.url, body, token) == 401  # refused at once
    finally:
        log = server.log()
    assert token not in log and planner not in log


def sync_through_kills(server: Server, local: Path, token: str, batch_size: int,
                       max_kills: int, seed: int = 3) -> int:
    """Sync ``local`` to ``server`` while killing and restarting the server at random
    moments; the number of kills. The sync must end without an error."""
    rng = random.Random(seed)
    done = threading.Event()
    errors: list[BaseException] = []

    def upload():
        try:
            sync(local, server.url, token, "car-1", deadline_s=600, batch_size=batch_size,
                 sleep=lambda s: time.sleep(min(s, 0.3)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=upload)
    thread.start()
    kills = 0
    while not done.wait(rng.uniform(0.05, 0.4)) and kills < max_kills:
        server.kill()
        kills += 1
        time.sleep(rng.uniform(0.0, 0.3))
        server.start()
    thread.join(660)
    log = server.log()
    assert not errors, (errors, log[-2000:])
    return kills


def _probe_and_server(tmp_path: Path) -> tuple[Path, Path, str, Server]:
    """A probe's store of real readings, a central store with the probe's token, and the
    server on it, started: ``(local, central, token, server)``."""
    local = _local_store(tmp_path)
    central = tmp_path / "central.gpkg"
    token = TokenBook(central).add("car-1")
    return local, central, token, Server(central, _free_port()).start()


def _assert_stored_once(local: Path, central: Path) -> None:
    sent, received = _ids(local), _ids(central)
    assert len(received) == len(set(received)) == len(sent)  # exactly once
    assert set(received) == set(sent)


def test_every_reading_arrives_once_through_kills_of_the_server(tmp_path):
    local, central, token, server = _probe_and_server(tmp_path)
    assert sync_through_kills(server, local, token, batch_size=3, max_kills=8) >= 3
    _assert_stored_once(local, central)
    with ReadingStore(central, readonly=True) as store:
        assert store.count("quarantine") == 0  # a batch resent after a kill is no conflict


def _proxy_cutting_answers(upstream: str, cuts: int) -> http.server.ThreadingHTTPServer:
    """A loopback proxy to ``upstream`` that forwards each batch and, for the first ``cuts``
    of them, hangs up after the answer's headers: the batch is stored, its answer lost, as
    when the server or the network goes down while it answers."""
    left = [cuts]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = urllib.request.Request(upstream + self.path, body, method="POST", headers={
                "Content-Type": "application/json",
                "Authorization": self.headers["Authorization"]})
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:
                    status, payload = answer.status, answer.read()
            except urllib.error.HTTPError as exc:
                status, payload = exc.code, exc.read()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if left[0] > 0:
                left[0] -= 1
                self.close_connection = True
                return
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    return proxy


def test_an_answer_cut_short_is_sent_again_and_stored_once(tmp_path):
    local, central, token, server = _probe_and_server(tmp_path)
    proxy = _proxy_cutting_answers(server.url, cuts=2)
    try:
        result = sync(local, f"http://127.0.0.1:{proxy.server_address[1]}", token, "car-1",
                      deadline_s=60, batch_size=5, sleep=lambda s: None)
    finally:
        proxy.shutdown()
        server.kill()
    assert result.retries == 2 and all("IncompleteRead" in f for f in result.failures)
    _assert_stored_once(local, central)
    assert result.duplicates >= 1  # the batches whose answers were lost came again


def test_a_probe_without_a_server_keeps_its_readings_for_later(tmp_path):
    local = _local_store(tmp_path)
    with pytest.raises(SyncError, match="could not be reached"):
        sync(local, f"http://127.0.0.1:{_free_port()}", "x", "car-1", deadline_s=2,
             sleep=lambda s: None)
    with sqlite3.connect(local) as conn:
        assert conn.execute("SELECT count(*) FROM outbox_acknowledged").fetchone()[0] == 0


def test_hostile_input_is_refused_or_quarantined_never_a_crash(tmp_path):
    from fastapi.testclient import TestClient

    central = tmp_path / "central.gpkg"
    token = TokenBook(central).add("car-1")
    client = TestClient(create_app(central, rate_per_s=1, burst=3))
    auth = {"Authorization": f"Bearer {token}"}
    big = b"{" + b" " * (17 * 2**20) + b"}"
    assert client.post("/v1/batches", content=big, headers={**auth, "Content-Type":
                                                          "application/json"}).status_code == 413
    too_many = {"probe_id": "car-1", "signal": [{}] * 5_001}
    assert client.post("/v1/batches", json=too_many, headers=auth).status_code == 422
    bad = {"probe_id": "car-1", "signal": [
        {"time_utc": "2025-10-01T01:00:00Z", "lon": 106.2, "lat": 21.3, "technology": "LTE",
         "lte_rsrp_dbm": -300, "reading_id": "00000000-0000-4000-8000-000000000001"},
        {"time_utc": "yesterday", "lon": 106.2, "lat": 21.3, "technology": "LTE",
         "lte_rsrp_dbm": -90}]}
    answer = client.post("/v1/batches", json=bad, headers=auth)
    assert answer.status_code == 429 or answer.json()["quarantined"] == 2
    unlimited = TestClient(create_app(central, rate_per_s=1000, burst=1000))
    reading = bad["signal"][0]
    for cell in ({"reading_id": "another-reading", "pci": 3}, {**reading, "pci": 3},
                 {"reading_id": reading["reading_id"], "pci": "three"}):
        answer = unlimited.post("/v1/batches", json={"probe_id": "car-1", "signal": [reading],
                                                     "neighbours": [cell]}, headers=auth)
        assert answer.status_code == 422, answer.text
        assert "neighbours[0]" in answer.json()["detail"]
    statuses = [client.post("/v1/batches", json={"probe_id": "car-1"}, headers=auth).status_code
                for _ in range(6)]
    assert 429 in statuses  # the rate limit per token


_FUZZ_DIR = Path(tempfile.mkdtemp(prefix="phusong-fuzz-"))
_FUZZ_TOKEN = TokenBook(_FUZZ_DIR / "central.gpkg").add("car-1")
_FUZZ_APP = create_app(_FUZZ_DIR / "central.gpkg", estimates=None, rate_per_s=10_000,
                       burst=10_000)
schema = schemathesis.openapi.from_asgi("/openapi.json", _FUZZ_APP)


@schema.parametrize()
@settings(max_examples=40, deadline=None,
          suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_never_answers_with_a_server_error(case):
    for headers in ({"Authorization": f"Bearer {_FUZZ_TOKEN}"}, {}):
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.path, response.text[:500])


def test_probe_sync_as_documented_sends_the_configured_store(tmp_path):
    local = _local_store(tmp_path)
    central = tmp_path / "central.gpkg"
    out = run_cli("serve", "token", "add", "car-1", "--store", str(central)).stdout.decode()
    token = out.strip().splitlines()[-1]
    server = Server(central, _free_port()).start()
    config = tmp_path / "probe.toml"
    config.write_text(f'probe_id = "car-1"\nstore = "{local.as_posix()}"\n[server]\n'
                      f'url = "{server.url}"\ntoken = "{token}"\n', encoding="utf-8")
    try:
        first = run_cli("--lang", "en", "probe", "sync", "--config", str(config))
        again = run_cli("--lang", "en", "probe", "sync", "--config", str(config))
    finally:
        server.kill()
    assert f"Sent {len(_ids(local))} readings" in first.stdout.decode()
    assert "Sent 0 readings" in again.stdout.decode()  # the outbox remembers
    assert sorted(_ids(central)) == sorted(_ids(local))


def test_neighbour_cells_travel_with_their_readings_once(tmp_path):
    """``probe sync`` sends the neighbour cells stored with each reading; the central store
    keeps them once, through a batch sent twice."""
    local = _local_store(tmp_path)
    ids = _ids(local)[:3]
    with ReadingStore(local) as store:
        for n, reading_id in enumerate(ids):
            store.add_neighbours(reading_id, [{"technology": "LTE", "relation": "intra",
                                               "pci": 100 + n, "rsrp_dbm": -110.0 + n},
                                              {"technology": "LTE", "pci": 200 + n}])
    central = tmp_path / "central.gpkg"
    token = TokenBook(central).add("car-1")
    server = Server(central, _free_port()).start()
    with ReadingStore(local, readonly=True) as store:
        again = {"probe_id": "car-1", "signal": [json_record(row) for row in store.read_table(
                     SIGNAL_LAYER, where=f"reading_id = '{ids[0]}'").to_dict(orient="records")],
                 "neighbours": neighbours_of(store, ids[:1])}
    try:
        sync(local, server.url, token, "car-1", batch_size=2)
        assert _post(server.url, again, token) == 200  # sent again: a duplicate
    finally:
        server.kill()
    with ReadingStore(local, readonly=True) as sent, ReadingStore(central, readonly=True) as got:
        columns = ["reading_id", "technology", "relation", "pci", "rsrp_dbm"]
        expected = sent.read_neighbours()[columns].sort_values(["reading_id", "pci"])
        received = got.read_neighbours()[columns].sort_values(["reading_id", "pci"])
    assert len(received) == 6
    assert received.reset_index(drop=True).equals(expected.reset_index(drop=True))

