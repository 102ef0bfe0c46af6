"""The Alembic migrations build exactly the schema the tables describe, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from localocean.app import schema
from localocean.areas import AREAS
from localocean.core.db import MIGRATIONS_DIR, SCHEMA_REVISION, Database


def test_schema_revision_is_the_newest_migration() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


@pytest.mark.parametrize("path", ["alembic-upgrade", "new-database"])
def test_schema_matches_the_tables(backend, tmp_path: Path, path: str) -> None:
    _, url = backend.durable(tmp_path)
    db = Database(url)
    try:
        if path == "alembic-upgrade":
            db.upgrade(schema(AREAS))  # every migration, from an empty database
        else:
            db.migrate(schema(AREAS))  # a new database is created from the tables and stamped
        assert db.current_revision() == SCHEMA_REVISION
        db.migrate(schema(AREAS))  # a second start is a no-op
        with db.transaction() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), schema(AREAS))
        assert differences == []
    finally:
        db.dispose()
