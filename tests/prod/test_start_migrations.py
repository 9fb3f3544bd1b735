"""The production start script creates the review log's and handover's tables in a fresh database itself, with
PostgreSQL's start and before any Python server starts (scripts/prod/ctl.sh ``load_stores``): otherwise the two Rasa
processes, the action server and the console would all apply the migrations to the new database at their first use,
at the same moment, and those that lost the race would fail it.

A stack of its own, in a new runtime directory, of which only PostgreSQL is started (``ctl.sh start postgres``, as
``ctl.sh up`` starts it first), on ``PROD_TEST_PORT_BASE`` + 10.
"""
from __future__ import annotations

import shutil
import subprocess

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from handover import db as handover_db
from review import db as review_db
from tests.prod.conftest import BASE, CTL, ROOT, _port_in_use, installed, run_directory, stack_env

PORTS = {"postgres": BASE + 10, "nginx": BASE + 11, "rasa-1": BASE + 12, "rasa-2": BASE + 13, "actions": BASE + 14,
         "redis": BASE + 15}
HANDOVER_TABLES = {"handovers", "handover_messages", "callback_requests", "staff_presence"}
REVIEW_TABLES = {"review_turns", "review_settings", "staff_accounts", "staff_sessions"}


def head(migrations) -> str:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    return ScriptDirectory.from_config(config).get_current_head()


def ctl(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(CTL), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_fresh_database_gets_every_table_from_the_start_script_before_any_server_starts():
    assert not _port_in_use(PORTS["postgres"]), f"port {PORTS['postgres']} in use (set PROD_TEST_PORT_BASE)"
    installed()
    run_dir = run_directory()
    env = stack_env(run_dir, PORTS, model=False)  # no Rasa process starts here
    try:
        started = ctl(env, "start", "postgres")
        assert started.returncode == 0, started.stderr[-4000:]
        status = ctl(env, "status").stdout.splitlines()
        assert [line.split()[1] for line in status if not line.startswith("postgres")] == ["stopped"] * 5, status
        password = dict(line.split("=", 1) for line in (run_dir / "secrets.env").read_text().split())
        engine = create_engine(f"postgresql://aomori:{password['PROD_PG_PASSWORD']}@127.0.0.1:{PORTS['postgres']}"
                               "/aomori_review", future=True)
        try:
            tables = set(inspect(engine).get_table_names())
            assert HANDOVER_TABLES | REVIEW_TABLES <= tables, sorted(tables)
            with engine.connect() as connection:
                for table, migrations in (("handover_alembic_version", handover_db.MIGRATIONS),
                                          ("review_alembic_version", review_db.MIGRATIONS)):
                    version = connection.execute(text(f"SELECT version_num FROM {table}")).scalars().all()
                    assert version == [head(migrations)], (table, version)
        finally:
            engine.dispose()
    finally:
        ctl(env, "down")
        shutil.rmtree(run_dir, ignore_errors=True)
