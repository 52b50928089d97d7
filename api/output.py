"""How the CLI shows results: JSON for machines, short coloured text for people."""

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from intake.fees import money
from intake.importing import ImportReport
from intake.lookup import OrderView
from intake.models import Defect
from intake.receiving import ScanDecision
from intake.tokens import TokenInfo

if TYPE_CHECKING:  # the image stack loads only for the commands that read images
    from api.scanning import FileReading

OUTCOME_STYLE = {
    "received": "bold green",
    "already_received": "bold white on grey39",
    "unknown": "bold red",
    "invalid": "bold red",
}


def console(*, stderr: bool = False) -> Console:
    """Standard output (or error); colour only on a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    # Piped output (a log, a file) is not cut to 80 columns; ":warning:" in a file name stays text.
    return Console(
        stderr=stderr,
        highlight=False,
        soft_wrap=True,
        emoji=False,
        width=None if stream.isatty() else 200,
    )


def print_json(data: Any) -> None:
    """One JSON object on one line, non-ASCII (Chinese names) kept readable."""
    print(json.dumps(data, ensure_ascii=False, default=str))


def local(at: datetime | None, zone: ZoneInfo, *, offset: bool = True) -> str:
    """A timestamp in the warehouse's local time, to the second."""
    pattern = "%Y-%m-%d %H:%M:%S %z" if offset else "%Y-%m-%d %H:%M:%S"
    return at.astimezone(zone).strftime(pattern) if at else "-"


def print_decision(decision: ScanDecision, *, as_json: bool, zone: ZoneInfo) -> None:
    """The station's answer to one scan."""
    if as_json:
        print_json(decision.as_dict())
        return
    out = console()
    label = decision.outcome.upper().replace("_", " ")
    out.print(f"[{OUTCOME_STYLE[decision.outcome]}] {label} [/] {decision.message}")
    if decision.supplier_name:
        out.print(f"  supplier {decision.supplier_id} {decision.supplier_name}")
    if decision.sla and (decision.sla.late_ready_to_ship or decision.sla.carrier_delay):
        flags = [
            name
            for name, on in (
                ("late ready to ship", decision.sla.late_ready_to_ship),
                ("carrier delay", decision.sla.carrier_delay),
            )
            if on
        ]
        out.print(f"  [yellow]SLA: {', '.join(flags)}[/]")
    out.print(f"  scan #{decision.scan_id} at {local(decision.scanned_at, zone)}")


def print_import_report(report: ImportReport, *, as_json: bool, rejects_path: Path | None) -> None:
    """What an import did."""
    if as_json:
        print_json(report.as_dict() | {"rejects_file": str(rejects_path) if rejects_path else None})
        return
    line = (
        f"imported {report.rows_read - report.rejected} of {report.rows_read} rows: "
        f"{report.inserted} new orders, {report.updated} updated"
    )
    if report.rejected:
        line += f"; {report.rejected} rejected, written to {rejects_path}"
    console().print(line)


def print_order_view(view: OrderView, *, as_json: bool, zone: ZoneInfo) -> None:
    """An order with its cartons, scans and defects."""
    if as_json:
        print_json(view.as_dict())
        return
    out = console()
    order = view.order
    received = sum(1 for c in view.cartons if c.state == "received")
    out.print(
        f"[bold]order {order.order_no}[/]  {order.status}  "
        f"({received} of {order.packages} carton(s) received)"
    )
    out.print(f"  supplier  {view.supplier.supplier_id} {view.supplier.name}")
    out.print(
        f"  buyer     {order.buyer_name}, {order.buyer_address}, {order.buyer_postcode}, "
        f"{order.buyer_country}"
    )
    out.print(f"  waybills  {order.carrier or '-'} {', '.join(view.tracking_numbers) or '-'}")
    out.print(
        f"  ordered {local(order.ordered_at, zone)}   ready to ship "
        f"{local(order.ready_to_ship_at, zone)}   received {local(order.received_at, zone)}"
    )
    if view.sla:
        out.print(
            f"  SLA: late ready to ship {'yes' if view.sla.late_ready_to_ship else 'no'}, "
            f"carrier delay {'yes' if view.sla.carrier_delay else 'no'}"
        )
    if view.scans:
        table = Table(box=None, pad_edge=False)
        for title in ("scan", "local time", "station", "operator", "code", "outcome"):
            table.add_column(title, no_wrap=True)
        for s in view.scans:
            table.add_row(
                str(s.id),
                local(s.scanned_at, zone, offset=False),
                s.station,
                s.operator,
                s.code or s.raw_code,
                s.outcome,
            )
        out.print(table)
    for i in view.inspections:
        photo = f"photo {i.photo_sha256}" if i.photo_sha256 else "no photo"
        out.print(
            f"  inspection #{i.id} carton {i.carton_id}: {i.verdict.upper()} "
            f"{local(i.inspected_at, zone, offset=False)} at {escape(i.station)}; {photo}"
        )
    for d in view.defects:
        fee = (
            "for review, no fee"
            if d.action == "review"
            else (f"{d.action} {d.fee_currency} {money(d.fee_amount)}")
        )
        out.print(f"  defect #{d.id} {d.code} ({d.state}; {fee}) {escape(d.detail)}")


def print_reading(reading: "FileReading", *, as_json: bool) -> None:
    """The codes read from one image file (errors on standard error in text mode)."""
    if as_json:
        print_json(reading.as_dict())
        return
    if reading.error is not None:
        console(stderr=True).print(f"{escape(reading.file)}: error: {escape(reading.error)}")
        return
    out = console()
    if not reading.barcodes:
        out.print(f"{escape(reading.file)}: no code found ({reading.ms:.0f} ms)")
    for b in reading.barcodes:
        out.print(
            f"{escape(reading.file)}: {b.format} {escape(b.text)}  "
            f"[dim]({b.found_by}, {reading.ms:.0f} ms)[/]"
        )


def print_confirmed(defect: Defect, *, as_json: bool) -> None:
    """A defect held for review, now confirmed and charged."""
    if as_json:
        print_json(_plain_defect(defect))
        return
    console().print(
        f"defect {defect.id} ({defect.code}) confirmed: {defect.action} {defect.fee_currency} "
        f"{money(defect.fee_amount)} (fee schedule {defect.fee_schedule_version})"
    )


def print_resolved(defect: Defect, *, as_json: bool, zone: ZoneInfo) -> None:
    """A mislabel defect just closed."""
    if as_json:
        print_json(_plain_defect(defect))
        return
    console().print(
        f"defect {defect.id} ({defect.code}, {defect.action} {defect.fee_currency} "
        f"{money(defect.fee_amount)}) {defect.state} by {defect.resolved_by} at "
        f"{local(defect.resolved_at, zone)}"
    )


def _plain_defect(defect: Defect) -> dict[str, object]:
    data = defect.model_dump()
    data["fee_amount"] = money(defect.fee_amount)  # exact, never a float
    for key in ("created_at", "resolved_at"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def print_inspection(result: dict[str, Any], *, as_json: bool) -> None:
    """One carton photo's inspection (or its error): a JSON line, or a few lines for a person."""
    if as_json:
        print_json(result)
        return
    file = escape(str(result["file"]))
    if "error" in result:
        console(stderr=True).print(f"{file}: error: {escape(result['error'])}")
        return
    out = console()
    verdict = str(result["verdict"])
    colour = {"ok": "green", "relabel": "yellow", "hold": "yellow"}.get(verdict, "magenta")
    repeat = " [dim](inspected before: first inspection shown)[/]" if result["repeat"] else ""
    dry = " [dim](dry run: nothing recorded)[/]" if result["dry_run"] else ""
    out.print(
        f"{file}: [bold {colour}]{verdict.upper()}[/] order {result['order_no'] or '-'}; "
        f"{escape(str(result['message']))} ({result['ms']:.0f} ms){repeat}{dry}"
    )
    for defect in result["defects"]:
        fee = (
            "no fee: for review"
            if defect["action"] == "review"
            else (f"{defect['action']} {defect['currency']} {defect['fee']}")
        )
        out.print(
            f"  {defect['code']} ({fee}, confidence {defect['confidence']:.2f}): "
            f"{escape(str(defect['evidence']))}"
        )


def print_token_created(info: TokenInfo, token: str, *, as_json: bool) -> None:
    """A new API token with its plain text: the only time it is ever shown."""
    if as_json:
        print_json({"id": info.id, "name": info.name, "role": str(info.role), "token": token})
        return
    out = console()
    out.print(f"API token {info.id} ({escape(info.name)}, {info.role}) created:")
    out.print(token, markup=False)
    out.print("Copy it now: it cannot be shown again (only its hash is stored).")


def print_tokens(tokens: list[TokenInfo], *, as_json: bool, zone: ZoneInfo) -> None:
    """Every API token, without its secret (which is not stored) or its hash."""
    if as_json:
        print_json({"tokens": [_plain_token(t) for t in tokens]})
        return
    if not tokens:
        console().print("no API tokens: create one with `intake tokens create`")
        return
    table = Table(box=None, pad_edge=False)
    for title in ("id", "name", "role", "created", "revoked"):
        table.add_column(title, no_wrap=True)
    for t in tokens:
        table.add_row(
            str(t.id),
            escape(t.name),
            t.role,
            local(t.created_at, zone, offset=False),
            local(t.revoked_at, zone, offset=False),
        )
    console().print(table)


def print_token_revoked(info: TokenInfo, *, as_json: bool, zone: ZoneInfo) -> None:
    """An API token just revoked."""
    if as_json:
        print_json(_plain_token(info))
        return
    console().print(
        f"API token {info.id} ({escape(info.name)}, {info.role}) revoked at "
        f"{local(info.revoked_at, zone)}: it no longer works"
    )


def _plain_token(info: TokenInfo) -> dict[str, object]:
    return {
        "id": info.id,
        "name": info.name,
        "role": str(info.role),
        "created_at": info.created_at.isoformat(),
        "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
    }
