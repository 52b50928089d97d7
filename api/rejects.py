"""The rows an import refused, written in the input's own format to be fixed and re-run."""

import csv
import json
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from intake.errors import RowProblem
from intake.orderbook import COLUMNS, RawRow, spreadsheet_safe


def default_path(source: Path, chosen: Path | None) -> Path:
    """Where the rejects of `source` go: the chosen path, else beside the source."""
    if chosen is not None:
        return chosen
    suffix = ".jsonl" if source.suffix.lower() in (".jsonl", ".ndjson", ".json") else ".csv"
    return source.with_name(source.name + ".rejects" + suffix)


class RejectWriter:
    """Opens the rejects file on the first rejected row only, so a clean import leaves no file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._csv: Any = None  # csv.writer's type is private

    def write(self, record: RawRow, problems: list[RowProblem]) -> None:
        """Append one refused record with its line and reasons."""
        reasons = "; ".join(f"{p.column}: {p.reason}" for p in problems)
        if self.path.suffix == ".jsonl":
            self._open()
            assert self._file is not None
            data: dict[str, object] = {
                **record.cells,
                "reject_line": record.line,
                "reject_reasons": reasons,
            }
            self._file.write(json.dumps(data, ensure_ascii=False) + "\n")
            return
        if self._csv is None:
            self._open()
            assert self._file is not None
            self._csv = csv.writer(self._file)
            self._csv.writerow([*COLUMNS, "reject_line", "reject_reasons"])
        cells = [spreadsheet_safe(record.cells.get(c, "")) for c in COLUMNS]
        self._csv.writerow([*cells, record.line, spreadsheet_safe(reasons)])

    def _open(self) -> None:
        if self._file is None:
            self._file = self.path.open(
                "w", encoding="utf-8-sig" if self.path.suffix == ".csv" else "utf-8", newline=""
            )

    def __enter__(self) -> "RejectWriter":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()
