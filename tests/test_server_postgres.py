"""The collection server on a real PostgreSQL with PostGIS, started by the tests in a
temporary cluster (Debian's postgresql and postgis packages; ``.ci/run`` installs them)."""
from __future__ import annotations

import glob

import pytest

pytest.importorskip("fastapi")
psycopg = pytest.importorskip("psycopg")

from test_server import (SAMPLE, Server, _free_port, _ids, _local_store,  # noqa: E402
                         sync_through_kills)

from helpers import load_benchmark  # noqa: E402
from phusong.server.tokens import TokenBook  # noqa: E402

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _postgis_installed() -> bool:
    return bool(glob.glob("/usr/share/postgresql/*/extension/postgis.control"))


@pytest.fixture(scope="module")
def database():
    if not BINARIES or not _postgis_installed():
        pytest.skip("PostgreSQL with PostGIS is not installed (apt-get install postgresql "
                    "postgresql-postgis)")
    dsn, stop = load_benchmark("bench_collector").temporary_postgres()
    try:
        yield dsn
    finally:
        stop()


def _count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def _reset(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in ("signal_readings", "speed_tests", "quarantine", "neighbour_cells"):
            conn.execute(f'DROP TABLE IF EXISTS "{table}"')


def test_batches_are_idempotent_and_validated_in_postgis(database, tmp_path):
    from fastapi.testclient import TestClient

    from phusong.server.app import create_app

    _reset(database)
    tokens = tmp_path / "tinh"
    token = TokenBook(tokens).add("car-1")
    client = TestClient(create_app(tokens, database=database))
    auth = {"Authorization": f"Bearer {token}"}
    reading = {"reading_id": "6f1c2f5e-8a52-4a3f-9a53-3e2a3c2b1a01",
               "time_utc": "2025-10-01T01:00:00Z", "lon": 106.2, "lat": 21.3,
               "technology": "NR-NSA", "lte_rsrp_dbm": -95, "nr_ss_rsrp_dbm": -101,
               "operator": "452-04"}
    first = client.post("/v1/batches", json={"probe_id": "car-1", "signal": [reading]},
                        headers=auth).json()
    again = client.post("/v1/batches", json={"probe_id": "car-1", "signal": [reading]},
                        headers=auth).json()
    changed = {**reading, "nr_ss_rsrp_dbm": -80}
    bad = {**reading, "reading_id": "6f1c2f5e-8a52-4a3f-9a53-3e2a3c2b1a02", "lon": 10.0}
    third = client.post("/v1/batches", json={"probe_id": "car-1", "signal": [changed, bad]},
                        headers=auth).json()
    assert (first["inserted"], again["inserted"], again["duplicates"]) == (1, 0, 1)
    assert third["inserted"] == 0 and third["quarantined"] == 2
    assert any("conflict" in r for r in third["reasons"])
    assert any("outside" in r for r in third["reasons"])
    assert _count(database, "signal_readings") == 1 and _count(database, "quarantine") == 2
    with psycopg.connect(database) as conn:
        lon, lat = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM signal_readings").fetchone()
    assert (round(lon, 6), round(lat, 6)) == (106.2, 21.3)
    # neighbour cells arrive with a new reading, once, in the same transaction
    cells = [{"reading_id": "6f1c2f5e-8a52-4a3f-9a53-3e2a3c2b1a03", "technology": "LTE",
              "pci": 251, "rsrp_dbm": -104.5}, {"reading_id":
              "6f1c2f5e-8a52-4a3f-9a53-3e2a3c2b1a03", "technology": "LTE", "pci": 17}]
    with_cells = {"probe_id": "car-1", "neighbours": cells,
                  "signal": [{**reading, "reading_id": cells[0]["reading_id"]}]}
    for _ in range(2):
        assert client.post("/v1/batches", json=with_cells, headers=auth).status_code == 200
    with psycopg.connect(database) as conn:
        stored = conn.execute("SELECT reading_id, pci, rsrp_dbm FROM neighbour_cells "
                              "ORDER BY pci").fetchall()
    assert stored == [(cells[0]["reading_id"], 17, None), (cells[0]["reading_id"], 251, -104.5)]


def test_every_reading_arrives_once_in_postgis_through_kills(database, tmp_path):
    _reset(database)
    local = _local_store(tmp_path)
    tokens = tmp_path / "tinh"
    token = TokenBook(tokens).add("car-1")
    server = Server(tokens, _free_port(), database=database).start()
    assert sync_through_kills(server, local, token, batch_size=5, max_kills=5) >= 2
    with psycopg.connect(database) as conn:
        received = [r[0] for r in conn.execute("SELECT reading_id FROM signal_readings")]
    assert sorted(received) == sorted(_ids(local))
    assert SAMPLE.is_file()
