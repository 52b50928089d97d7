"""The `intake` command: a thin shell over the same intake functions the HTTP API calls."""

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar, cast

import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.exceptions import TyperException

from api import rejects
from api.output import (
    local,
    print_confirmed,
    print_decision,
    print_import_report,
    print_inspection,
    print_json,
    print_order_view,
    print_reading,
    print_resolved,
    print_token_created,
    print_token_revoked,
    print_tokens,
)
from api.reports import Format as ReportFormat
from api.reports import parse_day, report_photos, write_mislabels, write_report, write_sla
from intake import db
from intake.demo import demo_records
from intake.errors import ImportRejected, IntakeError
from intake.fees import load_fee_schedule
from intake.importing import import_orders
from intake.lookup import get_order_view
from intake.mislabels import confirm_defect, resolve_defect
from intake.orderbook import FileProblem, read_records
from intake.photos import photo_store, prune_photos
from intake.receiving import check_station_name, receive_scan
from intake.reports import mislabel_report, sla_report
from intake.settings import get_settings, rules_from
from intake.tokens import create_token, list_tokens, revoke_token

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    help="Parcel intake station: order book, receiving, look-ups.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
orders_app = typer.Typer(help="The order book.", no_args_is_help=True)
app.add_typer(db_app, name="db")
mislabels_app = typer.Typer(help="Mislabeled cartons and their fees.", no_args_is_help=True)
app.add_typer(orders_app, name="orders")
app.add_typer(mislabels_app, name="mislabels")
tokens_app = typer.Typer(help="API tokens for the HTTP service.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
photos_app = typer.Typer(help="Evidence photos and their retention.", no_args_is_help=True)
app.add_typer(photos_app, name="photos")

JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object on standard output.")]


def fail(message: str) -> NoReturn:
    """One clear line on standard error, exit status 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def domain_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the domain's errors into the CLI's answer: one line, exit status 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except IntakeError as exc:
            fail(str(exc))

    return wrapper


@contextmanager
def open_engine() -> Iterator[Engine]:
    """The configured database's engine, refusing a database that is missing or out of date."""
    engine = db.create_db_engine(get_settings().effective_database_url)
    try:
        db.check_schema(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def open_report_engine() -> Iterator[Engine]:
    """An engine for a report: one snapshot of the database, and on SQLite no write lock, so
    the stations go on scanning while it runs."""
    with open_engine():  # the schema check
        pass
    engine = db.create_db_engine(get_settings().effective_database_url, read_only=True,
                                 snapshot=True)  # fmt: skip
    try:
        yield engine
    finally:
        engine.dispose()


@db_app.command("upgrade")
@domain_errors
def db_upgrade() -> None:
    """Create the database or bring its schema up to date."""
    url = get_settings().effective_database_url
    before, after = db.upgrade(url)
    state = "already up to date" if before == after else f"upgraded from {before or 'empty'}"
    typer.echo(f"database {db.display_url(url)}: {state}, at revision {after}")


@db_app.command("current")
@domain_errors
def db_current() -> None:
    """Show the database's schema revision and whether it is current."""
    with open_engine() as engine:
        typer.echo(
            f"database {db.display_url(str(engine.url))}: at revision "
            f"{db.current_revision(engine)} (current)"
        )


@orders_app.command("import")
@domain_errors
def orders_import(
    file: Annotated[Path, typer.Argument(help="Order-book export: CSV or JSON Lines, UTF-8.")],
    skip_invalid: Annotated[
        bool, typer.Option(help="Import the good rows, write rejects.")
    ] = False,
    rejects_file: Annotated[
        Path | None,
        typer.Option(
            "--rejects", help="Where rejected rows go (default: FILE.rejects.csv/.jsonl)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import (upsert by order number) an order book. A file with bad rows is refused whole."""
    if not file.is_file():
        fail(f"{file}: no such file")
    with (
        open_engine() as engine,
        file.open("rb") as stream,
        rejects.RejectWriter(rejects.default_path(file, rejects_file)) as writer,
    ):
        records = progress_records(stream, file)
        try:
            with db.session_scope(engine) as session:
                report = import_orders(
                    session,
                    records=records,
                    skip_invalid=skip_invalid,
                    on_reject=writer.write if skip_invalid else None,
                )
        except FileProblem as exc:
            fail(f"{file}: {exc.problem}; nothing was imported")
        except ImportRejected as exc:
            for problem in exc.problems:
                typer.echo(f"{file}: {problem}", err=True)
            fail(f"{file}: {exc}")
    print_import_report(
        report, as_json=as_json, rejects_path=writer.path if report.rejected else None
    )


def progress_records(stream: Any, file: Path) -> Iterator[Any]:
    """The file's records, with a progress bar on a terminal."""
    records = read_records(stream, name=file.name)
    if not sys.stderr.isatty():
        yield from records
        return
    from rich.console import Console
    from rich.progress import Progress

    # On standard error, so that `--json` output stays clean on standard output.
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"importing {file.name}", total=file.stat().st_size)
        for n, record in enumerate(records):
            if n % 2000 == 0:
                progress.update(task, completed=stream.tell())
            yield record


@orders_app.command("show")
@domain_errors
def orders_show(order_no: str, as_json: JsonFlag = False) -> None:
    """An order: status, cartons, every scan, defects and SLA flags."""
    settings = get_settings()
    with open_engine() as engine, db.session_scope(engine) as session:
        view = get_order_view(session, order_no=order_no, rules=rules_from(settings))
        print_order_view(view, as_json=as_json, zone=settings.zone)


@mislabels_app.command("resolve")
@domain_errors
def mislabels_resolve(
    defect_id: Annotated[int, typer.Argument(help="The defect's id.")],
    resolution: Annotated[
        str, typer.Option("--as", help="relabeled, returned, disposed or waived.")
    ],
    by: Annotated[str, typer.Option(help="Who dealt with the carton.")],
    as_json: JsonFlag = False,
) -> None:
    """Close an open mislabel defect, recording who and when."""
    settings = get_settings()
    with open_engine() as engine, db.session_scope(engine) as session:
        defect = resolve_defect(session, defect_id=defect_id, resolution=resolution, by=by)
    print_resolved(defect, as_json=as_json, zone=settings.zone)


@mislabels_app.command("confirm")
@domain_errors
def mislabels_confirm(
    defect_id: Annotated[int, typer.Argument(help="The defect's id (one held for review).")],
    by: Annotated[str, typer.Option(help="Who looked at the evidence.")],
    as_json: JsonFlag = False,
) -> None:
    """Confirm a defect found on weak evidence after looking at it: it is charged now, by the fee
    schedule in force now (to dismiss it instead: `resolve ID --as waived`)."""
    settings = get_settings()
    schedule = load_fee_schedule(settings.fee_schedule_file)
    with open_engine() as engine, db.session_scope(engine) as session:
        defect = confirm_defect(session, defect_id=defect_id, by=by, schedule=schedule)
    print_confirmed(defect, as_json=as_json)


@tokens_app.command("create")
@domain_errors
def tokens_create(
    role: Annotated[str, typer.Option(help="station, viewer, billing or admin.")],
    name: Annotated[str, typer.Option(help='Who holds it, e.g. "Dock 3" (1-64 characters).')],
    as_json: JsonFlag = False,
) -> None:
    """Create an API token and print it, once: only its hash is stored."""
    with open_engine() as engine, db.session_scope(engine) as session:
        info, token = create_token(session, name=name, role=role)
    print_token_created(info, token, as_json=as_json)


@tokens_app.command("list")
@domain_errors
def tokens_list(as_json: JsonFlag = False) -> None:
    """Every API token with its role, revoked ones too (never a secret)."""
    settings = get_settings()
    with open_engine() as engine, db.session_scope(engine) as session:
        tokens = list_tokens(session)
    print_tokens(tokens, as_json=as_json, zone=settings.zone)


@tokens_app.command("revoke")
@domain_errors
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `intake tokens list`).")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API token: it stops working at once."""
    settings = get_settings()
    with open_engine() as engine, db.session_scope(engine) as session:
        info = revoke_token(session, token_id=token_id)
    print_token_revoked(info, as_json=as_json, zone=settings.zone)


@photos_app.command("prune")
@domain_errors
def photos_prune(
    older_than: Annotated[
        int, typer.Option("--older-than", metavar="DAYS", help="The retention period, in days.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; remove nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Remove from the photo store the evidence photos stored more than DAYS ago, except those
    of defects still open or held for review, or found or closed within DAYS; the database keeps
    a record of each. Safe beside the running service (cron, a systemd timer) and to repeat."""
    settings = get_settings()
    with open_engine() as engine:
        report = prune_photos(engine, store=photo_store(settings), older_than_days=older_than,
                              dry_run=dry_run)  # fmt: skip
    if as_json:
        print_json(report.as_dict())
        return
    verb = "would purge" if dry_run else "purged"
    typer.echo(
        f"{verb} {report.purged:,} photos ({report.purged_bytes / 1e6:,.1f} MB) stored before "
        f"{local(report.cutoff, settings.zone)}; kept {report.kept:,} older ones as the evidence "
        "of open or recent defects"
    )


@app.command("scan")
@domain_errors
def scan(
    code: Annotated[str, typer.Argument(help="The scanned code, as the scanner sent it.")],
    station: Annotated[str, typer.Option(help="Station id, e.g. DOCK-3.")],
    operator: Annotated[str, typer.Option(help="Who is scanning.")],
    as_json: JsonFlag = False,
) -> None:
    """Receive the carton behind one scanned code and say what to do with it."""
    settings = get_settings()
    with open_engine() as engine, db.session_scope(engine) as session:
        decision = receive_scan(
            session, raw_code=code, station=station, operator=operator, rules=rules_from(settings)
        )
    print_decision(decision, as_json=as_json, zone=settings.zone)


@app.command("decode")
@domain_errors
def decode_images(
    images: Annotated[list[Path], typer.Argument(help="Photos: PNG, JPEG, WebP, BMP or TIFF.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file and line.")
    ] = False,
    engine: Annotated[str, typer.Option(help="pipeline (default), zxing or zbar.")] = "pipeline",
) -> None:
    """Read every barcode and QR code on each image; exit status 2 if any file could not be read."""
    from api.scanning import read_image_file
    from scanner.pipeline import Engine as DecodeEngine

    if engine not in ("pipeline", "zxing", "zbar"):
        fail(f"unknown engine {engine!r}: pipeline, zxing or zbar")
    settings = get_settings()
    failed = 0
    for path in images:
        reading = read_image_file(
            path,
            max_bytes=settings.max_image_bytes,
            max_pixels=settings.max_image_pixels,
            engine=cast(DecodeEngine, engine),
        )
        failed += reading.error is not None
        print_reading(reading, as_json=as_json)
    if failed:
        raise typer.Exit(2)


@app.command("inspect")
@domain_errors
def inspect_photos(
    photos: Annotated[
        list[Path], typer.Argument(help="Carton photos: JPEG, PNG, WebP, BMP, TIFF.")
    ],
    station: Annotated[str, typer.Option(help="Station id, e.g. DOCK-3.")] = "cli",
    operator: Annotated[str, typer.Option(help="Who took the photos.")] = "cli",
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per photo and line.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Inspect and report, but record nothing.")
    ] = False,
) -> None:
    """Receive each photographed carton, check its shipping label and record its mislabel defects
    and fees; exit status 2 if any photo could not be used."""
    # Imported here: the image and OCR stack takes a third of a second that other commands
    # (a scan, a report from cron) need not wait for.
    from api.inspecting import PhotoRequest, inspect_photo, ocr_threads
    from api.scanning import load_photo_file, shown_path
    from scanner.images import ImageRejected
    from scanner.ocr import text_reader

    settings = get_settings()
    request = PhotoRequest(
        check_station_name(station, "station"), check_station_name(operator, "operator"), dry_run
    )
    failed = 0
    with open_engine() as engine:
        text_reader(ocr_threads(settings))  # the models load once, before the first photo
        for path in photos:
            try:
                data, image = load_photo_file(
                    path, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels
                )
            except ImageRejected as exc:
                failed += 1
                print_inspection({"file": shown_path(path), "error": str(exc)}, as_json=as_json)
                continue
            result = inspect_photo(
                data,
                image,
                file=shown_path(path),
                engine=engine,
                settings=settings,
                request=request,
            )
            print_inspection(result, as_json=as_json)
    if failed:
        raise typer.Exit(2)


@app.command("serve")
@domain_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (method, path, status).")
    ] = True,
    ssl_certfile: Annotated[
        Path | None, typer.Option(help="Serve https with this certificate (PEM).")
    ] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="The certificate's key (PEM).")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) and the station page (/station) with uvicorn.
    Browsers give a page its camera only on https or localhost: a station page opened from
    another PC needs --ssl-certfile and --ssl-keyfile."""
    from api.serving import ServeError, Tls
    from api.serving import serve as serve_app

    if (ssl_certfile is None) != (ssl_keyfile is None):
        fail("--ssl-certfile and --ssl-keyfile go together")
    tls = Tls(ssl_certfile, ssl_keyfile) if ssl_certfile and ssl_keyfile else None
    with open_engine():  # a missing or old database is one clear line, before listening
        pass
    try:
        serve_app(host=host, port=port, workers=workers, access_log=access_log, tls=tls)
    except ServeError as exc:
        fail(str(exc))


@app.command("station")
@domain_errors
def station(
    camera: Annotated[str, typer.Option(help="Camera index (0), video file or stream URL.")],
    server: Annotated[str, typer.Option(help="The intake service, e.g. http://10.0.0.5:8000.")],
    token: Annotated[str, typer.Option(envvar="INTAKE_STATION_TOKEN", help="A station token.")],
    operator: Annotated[str, typer.Option(help="Who is scanning.")],
    station_name: Annotated[
        str | None, typer.Option("--station", help="Station id (default: the token's name).")
    ] = None,
    window: Annotated[bool, typer.Option(help="Show the camera and verdicts in a window.")] = True,
    queue: Annotated[
        Path | None, typer.Option(help="Offline queue file (default: DATA_DIR/station-queue.db).")
    ] = None,
) -> None:
    """The desktop station: read codes from a camera, send each carton with its evidence frame;
    while the server is away, keep scans in a local queue and send them, in order, when it is
    back. A video file runs to its end and waits for the queue; exit status 2 if scans are left."""
    from api.desktop import StationConfig, run_station
    from scanner.frames import parse_source

    settings = get_settings()
    check_station_name(operator, "operator")
    if not server.startswith(("http://", "https://")):
        fail(f"--server must be an http:// or https:// URL, not {server!r}")
    if not camera.isdigit() and "://" not in camera and not Path(camera).is_file():
        fail(f"--camera {camera!r}: no such video file (a camera is a number, a stream a URL)")
    config = StationConfig(
        source=parse_source(camera),
        server=server.rstrip("/"),
        token=token,
        operator=operator,
        station=check_station_name(station_name, "station") if station_name else None,
        queue=queue or settings.data_dir / "station-queue.db",
        window=window,
        confirm_frames=settings.confirm_frames,
        hold_off_seconds=settings.hold_off_seconds,
        budget_ms=settings.frame_budget_ms or None,
        say=lambda line: typer.echo(line),
    )
    raise typer.Exit(run_station(config))


@app.command("demo")
@domain_errors
def demo(
    orders: Annotated[int, typer.Option(min=1, max=200_000, help="Orders to seed.")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed of the demo data.")] = 7,
) -> None:
    """Seed a realistic demo order book and run a short scanning shift against it."""
    from api.demo_shift import run_demo_shift

    settings = get_settings()
    with open_engine() as engine:
        with db.session_scope(engine) as session:
            report = import_orders(session, records=demo_records(orders, seed=seed))
        typer.echo(
            f"demo order book: {report.inserted} orders added, {report.updated} updated "
            f"({db.display_url(str(engine.url))})"
        )
        run_demo_shift(engine, rules_from(settings), seed=seed)


@app.command("relabel")
@domain_errors
def relabel(
    order_no: Annotated[str, typer.Argument(help="The order number.")],
    fmt: Annotated[
        str, typer.Option("--format", help="pdf (any printer) or zpl (thermal, 203 dpi).")
    ],
    out: Annotated[
        Path | None, typer.Option(help="The file to write (default: standard output).")
    ] = None,
    package: Annotated[
        int | None, typer.Option(help="Only carton N of the order (default: one label each).")
    ] = None,
) -> None:
    """Print a correct replacement shipping label, 100×150 mm, for each carton of an order."""
    from api.labelprint import render_pdf, render_zpl
    from intake.relabel import get_labels

    if fmt not in ("pdf", "zpl"):
        fail(f"unknown format {fmt!r}: pdf or zpl")
    if out is not None and not out.parent.is_dir():
        fail(f"{out.parent}: no such directory")
    if out is None and fmt == "pdf" and sys.stdout.isatty():
        fail("a PDF does not belong on a terminal: write it with --out FILE")
    with open_engine() as engine, db.session_scope(engine) as session:
        labels = get_labels(session, order_no=order_no, package=package)
    data = render_pdf(labels) if fmt == "pdf" else render_zpl(labels).encode()
    if out is None:
        typer.echo(data, nl=False)  # bytes: to the binary standard output, for a pipe
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        fail(f"{out}: cannot write ({exc.strerror or exc})")
    typer.echo(f"{len(labels)} label(s) for order {labels[0].order_no} written to {out}", err=True)


report_app = typer.Typer(
    help="The daily mislabel report and the SLA evidence.", no_args_is_help=True
)
app.add_typer(report_app, name="report")
FormatOption = Annotated[ReportFormat, typer.Option("--format", help="csv, json, html or pdf.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write here (default: standard output).")
]


@report_app.command("mislabels")
@domain_errors
def report_mislabels(
    day: Annotated[str, typer.Option("--date", help="The warehouse's local day, YYYY-MM-DD.")],
    fmt: FormatOption = ReportFormat.csv,
    supplier: Annotated[str | None, typer.Option(help="One supplier's cartons only.")] = None,
    out: OutOption = None,
    per_supplier: Annotated[
        bool, typer.Option(help="One file per supplier, its own orders only, into --out DIR.")
    ] = False,
    photo_base_url: Annotated[
        str | None, typer.Option(help="Link evidence photos as URL/photos/ID (the service's URL).")
    ] = None,
) -> None:
    """Every mislabeled carton of one local day, by supplier, with defects, fees and photos.
    Exit status 0 with a report (an empty day is a report that says so), 2 for a bad date, an
    unknown supplier or an unwritable file."""
    settings = get_settings()
    local_day = parse_day(day, "--date")
    photos = report_photos(settings, photo_base_url)
    with open_report_engine() as engine, Session(engine) as session:
        if not per_supplier:
            report = mislabel_report(session, day=local_day, zone=settings.zone,
                                     supplier_id=supplier, summarize=fmt.summarized,
                                     count_defects=not fmt.defects_from_lines)  # fmt: skip
            write_report(out, fmt, lambda f: write_mislabels(f, session, report, fmt, photos))
            return
        if out is None or supplier is not None:
            fail("--per-supplier writes one file per supplier into --out DIR (and no --supplier)")
        out.mkdir(parents=True, exist_ok=True)
        day_report = mislabel_report(session, day=local_day, zone=settings.zone)
        for summary in day_report.summaries:
            if summary.supplier_id is None:
                continue  # cartons of unknown orders: no supplier to send them to
            report = mislabel_report(session, day=local_day, zone=settings.zone,
                                     supplier_id=summary.supplier_id,
                                     summarize=fmt.summarized,
                                     count_defects=not fmt.defects_from_lines)  # fmt: skip
            path = out / f"mislabels-{local_day}-{_file_safe(summary.supplier_id)}.{fmt}"
            write_report(
                path,
                fmt,
                functools.partial(
                    write_mislabels, session=session, report=report, fmt=fmt, photos=photos
                ),
            )
            typer.echo(str(path), err=True)


@report_app.command("sla")
@domain_errors
def report_sla(
    first: Annotated[str, typer.Option("--from", help="First local day, YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="Last local day (included), YYYY-MM-DD.")],
    fmt: FormatOption = ReportFormat.csv,
    supplier: Annotated[str | None, typer.Option(help="One supplier's orders only.")] = None,
    out: OutOption = None,
) -> None:
    """Orders marked ready to ship late, cartons the carrier delayed (complaint evidence) and
    orders ready to ship but never received, for the local days --from to --to."""
    settings = get_settings()
    start, end = parse_day(first, "--from"), parse_day(last, "--to")
    with open_report_engine() as engine, Session(engine) as session:
        report = sla_report(session, first=start, last=end, zone=settings.zone,
                            hours=rules_from(settings).sla, supplier_id=supplier)  # fmt: skip
        write_report(out, fmt, lambda f: write_sla(f, session, report, fmt))


def _file_safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:64]


def main() -> None:
    """Console entry point: usage errors become one line and exit status 2."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except TyperException as exc:
        message = exc.format_message()
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `intake`: the help, not an error
            typer.echo(message, err=True)
        else:
            typer.echo(f"error: {message}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
