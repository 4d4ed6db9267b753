"""Tokens of the collection server: one per probe (it uploads under its own probe id only)
and read-only ones for planners. Only a token's SHA-256 is kept, in ``STORE.tokens.json``
beside the central store; a token is 32 random bytes (``secrets.token_urlsafe``), so a hash
without salt or stretching is enough (nothing to guess from it)."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from phusong.errors import ConfigError

PROBE, PLANNER = "probe", "planner"


@dataclass(frozen=True)
class Principal:
    """Who a valid token belongs to."""

    name: str
    role: str


def tokens_path(store: str | Path) -> Path:
    store = Path(store)
    return store.with_name(store.name + ".tokens.json")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenBook:
    """The tokens of one central store, read again whenever the file changes (a revoked
    token is refused at once)."""

    def __init__(self, store: str | Path) -> None:
        self.path = tokens_path(store)
        self._seen: tuple[float, int] | None = None
        self._entries: dict[str, dict] = {}

    def _load(self) -> dict[str, dict]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        if self._seen != (stat.st_mtime, stat.st_size):
            self._entries = json.loads(self.path.read_text(encoding="utf-8"))
            self._seen = (stat.st_mtime, stat.st_size)
        return self._entries

    def _save(self, entries: dict[str, dict]) -> None:
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(entries, indent=1, sort_keys=True), encoding="utf-8")
        os.chmod(partial, 0o600)
        os.replace(partial, self.path)

    def add(self, name: str, role: str = PROBE) -> str:
        """A new token for ``name`` (replacing its old one); returned once, never stored."""
        if role not in (PROBE, PLANNER):
            raise ConfigError(f"{role!r} is not valid; choose one of {PROBE}, {PLANNER}")
        if not name.strip():
            raise ConfigError("a token needs a probe id or a planner's name")
        token = secrets.token_urlsafe(32)
        entries = dict(self._load())
        entries[name] = {"sha256": _digest(token), "role": role,
                         "created_utc": datetime.now(timezone.utc).isoformat()}
        self._save(entries)
        return token

    def revoke(self, name: str) -> bool:
        """Revoke ``name``'s token; whether it had one."""
        entries = dict(self._load())
        if entries.pop(name, None) is None:
            return False
        self._save(entries)
        return True

    def verify(self, token: str | None) -> Principal | None:
        """Whose token this is, or ``None``."""
        if not token:
            return None
        digest = _digest(token)
        for name, entry in self._load().items():
            if hmac.compare_digest(entry["sha256"], digest):
                return Principal(name, entry["role"])
        return None
