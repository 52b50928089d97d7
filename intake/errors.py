"""Domain errors. The CLI and the API each map them to their own answer (exit 2, HTTP 4xx)."""

import unicodedata


class IntakeError(Exception):
    """Base of every error a user can cause and fix."""


class DatabaseNotReady(IntakeError):
    """The database is missing or its schema is older (or newer) than the code."""


class NotFound(IntakeError):
    """A looked-up thing does not exist."""


class Purged(NotFound):
    """A looked-up thing existed and was removed on purpose (a photo past its retention)."""


class StoreUnavailable(IntakeError):
    """The evidence photo store cannot be reached, or refused the request (not the photo)."""


class InvalidInput(IntakeError):
    """Input that cannot be used as given."""


class ImportRejected(IntakeError):
    """An order-book file with bad rows: nothing of it was written."""

    def __init__(self, message: str, problems: list["RowProblem"]) -> None:
        super().__init__(message)
        self.problems = problems


class RowProblem:
    """One bad row of an import file: where it is and what is wrong."""

    __slots__ = ("column", "line", "reason")

    def __init__(self, line: int, column: str, reason: str) -> None:
        self.line = line
        self.column = column
        self.reason = reason

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        """The problem as JSON-friendly data."""
        return {"line": self.line, "column": self.column, "reason": self.reason}


def has_control_characters(text: str) -> bool:
    """Whether the text holds a character that is neither printable nor a space. Wide spaces (an
    IME's U+3000, a spreadsheet's no-break space) are text; NUL, escapes, line breaks are not."""
    return not text.isprintable() and any(
        not ch.isprintable() and unicodedata.category(ch) != "Zs" for ch in text
    )


def printable(value: str, what: str) -> str:
    """The value, unless it holds control characters: InvalidInput naming `what`. PostgreSQL
    refuses NUL in text, and a terminal or a report obeys the others."""
    if has_control_characters(value):
        raise InvalidInput(f"{what} contains control characters")
    return value
