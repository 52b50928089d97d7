"""Alembic environment: runs on the connection `intake db upgrade` hands over, or opens its own."""

from alembic import context
from sqlmodel import SQLModel

import intake.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from intake.db import create_db_engine

target_metadata = SQLModel.metadata
config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "", create_dir=True)
    with engine.begin() as own_connection:
        _run(own_connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
