"""`intake db ...` and the schema check every other command makes first."""

from pathlib import Path

from sqlalchemy.engine import Engine

from tests.conftest import Cli
from tests.factories import count_rows, order_row, write_csv


def test_missing_sqlite_database_says_run_upgrade(tmp_path: Path) -> None:
    cli = Cli({"INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'none' / 'intake.db'}"}, tmp_path)

    for args in (
        ("orders", "show", "123456"),
        ("scan", "SF1", "--station", "A", "--operator", "b"),
        ("db", "current"),
    ):
        result = cli.process(*args)
        assert result.exit_code == 2
        assert result.stderr.strip().splitlines() == [
            f"error: no database at {tmp_path / 'none' / 'intake.db'}: run `intake db upgrade` "
            "to create it"
        ]
    assert not (tmp_path / "none").exists()  # never created implicitly


def test_upgrade_creates_then_is_idempotent(tmp_path: Path) -> None:
    cli = Cli({"INTAKE_DATA_DIR": str(tmp_path / "var")}, tmp_path)

    first = cli("db", "upgrade")
    second = cli("db", "upgrade")

    assert first.exit_code == second.exit_code == 0
    assert "upgraded from empty" in first.stdout
    assert "already up to date" in second.stdout
    assert (tmp_path / "var" / "intake.db").exists()
    assert "(current)" in cli("db", "current").stdout


def test_outdated_schema_says_run_upgrade_and_upgrade_fixes_it(
    cli: Cli, engine: Engine, tmp_path: Path
) -> None:
    cli("orders", "import", str(write_csv(tmp_path / "b.csv", [order_row()])))
    with engine.begin() as c:
        c.exec_driver_sql("UPDATE alembic_version SET version_num = '0000'")

    stale = cli("orders", "import", str(write_csv(tmp_path / "c.csv", [order_row()])))

    from intake.db import head_revision

    assert stale.exit_code == 2
    assert stale.stderr.strip() == (
        f"error: the database schema is at revision 0000, the code needs {head_revision()}: "
        "run `intake db upgrade`"
    )
    assert count_rows(engine, "orders") == 1


def test_database_without_schema_says_run_upgrade(cli: Cli, engine: Engine) -> None:
    with engine.begin() as c:
        c.exec_driver_sql("DROP TABLE alembic_version")

    result = cli("orders", "show", "123456")

    assert result.exit_code == 2
    assert result.stderr.strip() == "error: the database has no schema yet: run `intake db upgrade`"


def test_unreachable_server_is_one_line(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/intake"
    cli = Cli({"INTAKE_DATABASE_URL": url}, tmp_path)

    result = cli.process("orders", "show", "123456")

    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot open the database")
    assert "secret" not in result.stderr


def test_usage_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    cli = Cli({"INTAKE_DATA_DIR": str(tmp_path)}, tmp_path)

    missing_option = cli.process("scan", "SF1234567890123")
    unknown_command = cli.process("teleport")
    bad_zone = Cli({"INTAKE_TIMEZONE": "Mars/Olympus"}, tmp_path).process("db", "upgrade")

    for result in (missing_option, unknown_command, bad_zone):
        assert result.exit_code == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "--station" in missing_option.stderr
    assert "Mars/Olympus" in bad_zone.stderr


def test_upgrade_keeps_the_data_of_an_older_schema(tmp_path: Path) -> None:
    from alembic import command

    from intake import db

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(db.alembic_config(url), "0001")
    cli = Cli({"INTAKE_DATABASE_URL": url}, tmp_path)
    engine = db.create_db_engine(url)
    with engine.begin() as c:
        c.exec_driver_sql(
            "INSERT INTO cartons (code, code_kind, state, received_at, station, "
            "operator, late_ready_to_ship, carrier_delay) VALUES ('X1', 'unknown', "
            "'held', '2026-11-01 00:00:00', 'D1', 'li', 0, 0)"
        )
        c.exec_driver_sql(
            "INSERT INTO defects (carton_id, code, detail, state, created_at) "
            "VALUES (1, 'no_label', '', 'open', '2026-11-01 00:00:00')"
        )

    stale = cli("mislabels", "resolve", "1", "--as", "waived", "--by", "boss")
    upgraded = cli("db", "upgrade")

    assert stale.exit_code == 2 and "run `intake db upgrade`" in stale.stderr
    assert "upgraded from 0001" in upgraded.stdout
    with engine.connect() as c:
        row = c.exec_driver_sql("SELECT code, state, fee_amount, action FROM defects").one()
    assert tuple(row) == ("no_label", "open", 0, "")
    engine.dispose()


def test_upgrade_gives_received_cartons_their_orders_supplier(tmp_path: Path) -> None:
    from alembic import command

    from intake import db

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(db.alembic_config(url), "0005")
    engine = db.create_db_engine(url)
    with engine.begin() as c:
        c.exec_driver_sql(
            "INSERT INTO suppliers (supplier_id, name, address) VALUES ('SUP1', 'S', 'A')"
        )
        c.exec_driver_sql(
            "INSERT INTO orders (order_no, supplier_id, buyer_name, buyer_address, "
            "buyer_postcode, buyer_country, carrier, packages, ordered_at, status) VALUES "
            "('576400000000000001', 'SUP1', 'B', 'A', '1', 'US', 'SF', 1, "
            "'2026-11-01 00:00:00', 'received')"
        )
        for code, order in (("X1", "'576400000000000001'"), ("X2", "NULL")):
            c.exec_driver_sql(
                "INSERT INTO cartons (code, code_kind, order_no, seq, state, received_at, "
                f"station, operator, late_ready_to_ship, carrier_delay) VALUES ('{code}', "
                f"'order_no', {order}, 1, 'received', '2026-11-01 00:00:00', 'D1', 'li', 0, 0)"
            )

    upgraded = Cli({"INTAKE_DATABASE_URL": url}, tmp_path)("db", "upgrade")

    assert upgraded.exit_code == 0, upgraded.stderr
    with engine.connect() as c:
        rows = c.exec_driver_sql("SELECT code, supplier_id FROM cartons ORDER BY code").all()
    assert [tuple(r) for r in rows] == [("X1", "SUP1"), ("X2", None)]
    engine.dispose()


def test_the_migrations_build_the_schema_the_models_describe(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from intake import db

    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert Cli({"INTAKE_DATABASE_URL": url}, tmp_path)("db", "upgrade").exit_code == 0
    engine = db.create_db_engine(url)
    with engine.connect() as c:
        differences = compare_metadata(MigrationContext.configure(c), SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_the_schema_check_knows_the_newest_migration() -> None:
    # The check reads the migrations' revision lines itself (Alembic is slow to import).
    from alembic.script import ScriptDirectory

    from intake import db

    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    assert db.head_revision() == script.get_current_head()
