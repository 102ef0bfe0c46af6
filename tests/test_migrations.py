"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from localocean.store.db import MIGRATIONS_DIR, SCHEMA_REVISION, Database
from localocean.store.models import Base


def test_schema_revision_is_the_newest_migration() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_migrated_schema_matches_the_models(backend, tmp_path: Path) -> None:
    _, url = backend.durable(tmp_path)
    db = Database(url)
    try:
        db.migrate()
        assert db.current_revision() == SCHEMA_REVISION
        db.migrate()  # a second start is a no-op
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
    finally:
        db.dispose()
