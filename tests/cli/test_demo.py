"""The README's first command runs `intake db upgrade` and `intake demo`: the main job works."""

from pathlib import Path

from tests.conftest import Cli


def test_demo_seeds_a_book_and_shows_every_outcome(tmp_path: Path) -> None:
    cli = Cli({"INTAKE_DATA_DIR": str(tmp_path / "var")}, tmp_path)
    assert cli.process("db", "upgrade").exit_code == 0

    first = cli.process("demo", "--orders", "400")
    second = cli.process("demo", "--orders", "400")

    assert first.exit_code == 0, first.stderr
    assert "400 orders added" in first.stdout
    for outcome in ("RECEIVED", "ALREADY RECEIVED", "UNKNOWN", "INVALID"):
        assert outcome in first.stdout
    assert "carton 1 of" in first.stdout
    assert second.exit_code == 0, second.stderr
    assert "0 orders added, 400 updated" in second.stdout  # re-running the demo upserts


def test_demo_refuses_a_database_not_upgraded(tmp_path: Path) -> None:
    cli = Cli({"INTAKE_DATA_DIR": str(tmp_path / "var")}, tmp_path)

    result = cli.process("demo")

    assert result.exit_code == 2
    assert "run `intake db upgrade`" in result.stderr
