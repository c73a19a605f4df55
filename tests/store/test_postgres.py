"""SQLStore against the real PostgreSQL: the conformance suite, opening, bringing your own engine.

Enabled by ``COMPLAINTFLOW_TEST_POSTGRES=postgresql+psycopg://...`` (and always under CI);
each module works in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest

sa = pytest.importorskip("sqlalchemy")

import complaintflow as cf  # noqa: E402
from complaintflow.store import SCHEMA_VERSION, SQLStore, _sql, sql_tables  # noqa: E402
from complaintflow.testing.stores import StoreConformance  # noqa: E402

from ._helpers import receive, v1_then_latest, workflow, write_sql_rows  # noqa: E402

pytestmark = pytest.mark.services
_prefixes = count(1)


def _broken(*args: Any, **kw: Any) -> Any:
    raise RuntimeError("outbox broke")


class TestPostgresStore(StoreConformance):
    @pytest.fixture(autouse=True)
    def _server(self, pg_url: str, pg_schema: str) -> Any:
        self.url, self.schema = pg_url, pg_schema
        self.engine = sa.create_engine(pg_url)
        yield
        self.engine.dispose()

    def create_store(self, **kw: Any) -> SQLStore:
        return SQLStore(self.engine, schema=self.schema, prefix=f"t{next(_prefixes)}_", **kw)

    def break_outbox(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_sql, "outbox_event", _broken)


def test_reopening_finds_the_complaints(pg_url: str, pg_schema: str) -> None:
    prefix = f"t{next(_prefixes)}_"
    with SQLStore(pg_url, schema=pg_schema, prefix=prefix) as store:
        wf, _ = workflow(store)
        c = wf.acknowledge(receive(wf, 1), actor="agent-7")
    with SQLStore(pg_url, schema=pg_schema, prefix=prefix) as again:
        assert again.get(c.id) == c
        assert again.schema_version == SCHEMA_VERSION
        assert again.verify() == []


def test_a_bare_postgresql_url_means_psycopg(pg_url: str, pg_schema: str) -> None:
    bare = "postgresql://" + pg_url.split("://", 1)[1]
    with SQLStore(bare, schema=pg_schema, prefix=f"t{next(_prefixes)}_") as store:
        assert store.engine.dialect.driver == "psycopg"


def test_a_wrong_url_is_a_store_error() -> None:
    with pytest.raises(cf.StoreError, match="URL"):
        SQLStore("not a url at all")
    with pytest.raises(cf.StoreError):
        SQLStore("nosuchdialect://user@host/db")
    with pytest.raises(cf.ValidationError, match="url"):
        SQLStore("")


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    with pytest.raises(cf.StoreError) as info:
        SQLStore("postgresql+psycopg://cf:secret@127.0.0.1:1/none")
    assert "secret" not in str(info.value)


def test_a_wrong_database_is_a_store_error(pg_url: str) -> None:
    url = sa.engine.make_url(pg_url).set(database="cf_no_such_database")
    with pytest.raises(cf.StoreError, match="cf_no_such_database"):
        SQLStore(url.render_as_string(hide_password=False))


def test_a_newer_schema_is_refused_clearly(pg_url: str, pg_schema: str) -> None:
    prefix = f"t{next(_prefixes)}_"
    store = SQLStore(pg_url, schema=pg_schema, prefix=prefix)
    with store.engine.begin() as conn:
        conn.execute(sa.update(store.tables.schema).values(version=SCHEMA_VERSION + 1))
    store.close()
    with pytest.raises(cf.SchemaVersionError, match="upgrade complaintflow"):
        SQLStore(pg_url, schema=pg_schema, prefix=prefix)


def test_a_missing_table_is_a_store_error(pg_url: str, pg_schema: str) -> None:
    prefix = f"t{next(_prefixes)}_"
    store = SQLStore(pg_url, schema=pg_schema, prefix=prefix)
    wf, _ = workflow(store)
    c = receive(wf, 1)
    with store.engine.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE "{pg_schema}"."{prefix}outbox"'))
    with pytest.raises(cf.StoreError, match=f"{prefix}outbox"):
        wf.acknowledge(c, actor="agent-7")
    assert store.get(c.id) == c
    store.close()
    with pytest.raises(cf.StoreError, match=f"{prefix}outbox"):
        SQLStore(pg_url, schema=pg_schema, prefix=prefix)


def test_a_foreign_table_set_is_refused(pg_url: str, pg_schema: str) -> None:
    prefix = f"t{next(_prefixes)}_"
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE TABLE "{pg_schema}"."{prefix}complaints" (x int)'))
    with pytest.raises(cf.StoreError, match="not a complaintflow database"):
        SQLStore(engine, schema=pg_schema, prefix=prefix)
    engine.dispose()


def test_your_own_engine_metadata_and_migrations(pg_url: str, pg_schema: str) -> None:
    """An application declares our tables on its MetaData and creates them itself."""
    engine = sa.create_engine(pg_url)
    metadata = sa.MetaData(schema=pg_schema)
    sa.Table("crm_users", metadata, sa.Column("id", sa.Integer, primary_key=True))
    prefix = f"t{next(_prefixes)}_"
    tables = sql_tables(metadata, prefix=prefix, schema=pg_schema)
    with pytest.raises(cf.StoreError, match="create=True"):
        SQLStore(engine, metadata=sa.MetaData(), prefix=prefix, schema=pg_schema, create=False)
    metadata.create_all(engine)  # what the application's migration tool does
    store = SQLStore(engine, metadata=sa.MetaData(), prefix=prefix, schema=pg_schema,
                     create=False)
    assert store.schema_version == SCHEMA_VERSION
    wf, _ = workflow(store)
    c = receive(wf, 1)
    with engine.connect() as conn:
        assert conn.execute(sa.select(tables.complaints.c.state)).scalar_one() == "received"
    store.close()
    assert engine.pool.checkedout() == 0  # the store never disposes an engine it was given
    assert SQLStore(engine, prefix=prefix, schema=pg_schema).get(c.id) == c
    shared = SQLStore(engine, metadata=metadata, prefix=prefix, schema=pg_schema, create=False)
    assert shared.tables == tables
    assert shared.get(c.id) == c
    engine.dispose()


def test_events_are_queryable_json(pg_url: str, pg_schema: str) -> None:
    prefix = f"t{next(_prefixes)}_"
    store = SQLStore(pg_url, schema=pg_schema, prefix=prefix)
    wf, _ = workflow(store)
    c = receive(wf, 1)
    with store.engine.connect() as conn:
        sku = conn.execute(sa.text(
            f"SELECT data->>'sku' FROM \"{pg_schema}\".\"{prefix}events\"")).scalar_one()
    assert sku == c.sku
    store.close()


def test_opening_an_older_database_migrates_it_forward(
    pg_url: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"t{next(_prefixes)}_"
    with SQLStore(pg_url, schema=pg_schema, prefix=prefix) as store:
        wf, _ = workflow(store)
        c = receive(wf, 1)

    def add_note(conn: Any, tables: Any) -> None:
        conn.execute(sa.text(
            f'ALTER TABLE "{pg_schema}"."{tables.complaints.name}" ADD COLUMN note text'))

    monkeypatch.setattr(_sql, "SQL_MIGRATIONS", {SCHEMA_VERSION + 1: add_note})
    monkeypatch.setattr(_sql, "LATEST", SCHEMA_VERSION + 1)
    with SQLStore(pg_url, schema=pg_schema, prefix=prefix) as newer:
        assert newer.schema_version == SCHEMA_VERSION + 1
        assert newer.get(c.id) == c
        cols = {col["name"] for col in sa.inspect(newer.engine).get_columns(
            f"{prefix}complaints", schema=pg_schema)}
        assert "note" in cols
    monkeypatch.undo()
    with pytest.raises(cf.SchemaVersionError):
        SQLStore(pg_url, schema=pg_schema, prefix=prefix)


def test_a_version_1_database_opens_and_gains_the_outbox_claims(
    pg_url: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"t{next(_prefixes)}_"
    engine = sa.create_engine(pg_url)

    def write_v1(complaints: list[cf.Complaint]) -> None:
        meta = sa.MetaData()
        tables = _sql.build_tables(meta, prefix=prefix, schema=pg_schema, version=1)
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.insert(tables.schema).values(id=1, version=1))
        write_sql_rows(engine, tables, complaints)

    def open_store() -> SQLStore:
        store = SQLStore(engine, prefix=prefix, schema=pg_schema)
        assert store.schema_version == SCHEMA_VERSION == 3
        return store

    v1_then_latest(open_store, write_v1)
    inspector = sa.inspect(engine)
    cols = {c["name"] for c in inspector.get_columns(f"{prefix}outbox", schema=pg_schema)}
    assert {"claimed_by", "claimed_until", "dead_reason", "dead_at"} <= cols
    indexes = {i["name"] for i in inspector.get_indexes(f"{prefix}outbox", schema=pg_schema)}
    assert f"{prefix}outbox_waiting" in indexes
    assert f"{prefix}outbox_pending" not in indexes
    engine.dispose()


def test_server_errors_are_split_into_operational_and_integrity(
    pg_url: str, pg_schema: str
) -> None:
    from complaintflow.exceptions import IntegrityError, OperationalError

    with pytest.raises(OperationalError):
        SQLStore("postgresql+psycopg://cf@127.0.0.1:1/none")
    with pytest.raises(OperationalError, match="cf_no_such_database"):
        SQLStore(sa.engine.make_url(pg_url).set(database="cf_no_such_database")
                 .render_as_string(hide_password=False))
    prefix = f"t{next(_prefixes)}_"
    # a lock held by another transaction past the lock timeout: retryable
    engine = sa.create_engine(pg_url, connect_args={"options": "-c lock_timeout=50"})
    store = SQLStore(engine, schema=pg_schema, prefix=prefix)
    wf, _ = workflow(store)
    c = receive(wf, 1)
    with engine.connect() as other:
        other.execute(sa.text(
            f'SELECT * FROM "{pg_schema}"."{prefix}complaints" FOR UPDATE'))
        with pytest.raises(OperationalError):
            wf.acknowledge(c, actor="agent-7")
        other.rollback()
    assert wf.acknowledge(c, actor="agent-7").version == 2
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE "{pg_schema}"."{prefix}outbox"'))
    with pytest.raises(IntegrityError, match=f"{prefix}outbox"):
        store.claim_outbox("relay")
    engine.dispose()


def test_the_outbox_queries_use_the_pending_indexes(pg_url: str, pg_schema: str) -> None:
    prefix = f"t{next(_prefixes)}_"
    store = SQLStore(pg_url, schema=pg_schema, prefix=prefix)
    wf, _ = workflow(store)
    receive(wf, 1)
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        statements.append((statement, params))

    sa.event.listen(store.engine, "before_cursor_execute", keep)
    store.outbox_backlog()
    store.claim_outbox("relay")
    sa.event.remove(store.engine, "before_cursor_execute", keep)
    count, claim = [s for s in statements if f"{prefix}outbox" in s[0]][:2]
    with store.engine.connect() as conn:
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cur.execute("SET enable_seqscan = off")
        plans = []
        for statement, params in (count, claim):
            cur.execute("EXPLAIN " + statement, params)
            plans.append(" ".join(r[0] for r in cur.fetchall()))
    assert f"{prefix}outbox_waiting" in plans[0] or f"{prefix}outbox_complaint" in plans[0]
    assert "Seq Scan" not in plans[0]
    assert "Seq Scan" not in plans[1]
    store.close()
