"""The platform's deadlines: late ready-to-ship (supplier) and over-long transit (carrier)."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from intake.sla import Rules, SlaFlags, SlaHours, evaluate

BEIJING = timezone(timedelta(hours=8))
NEW_YORK = ZoneInfo("America/New_York")
ORDERED = datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)


def _flags(
    ordered_at: datetime = ORDERED,
    *,
    ready_after: timedelta | None,
    received_after_ready: timedelta = timedelta(hours=24),
    hours: SlaHours | None = None,
) -> SlaFlags:
    ready = None if ready_after is None else ordered_at + ready_after
    return evaluate(
        hours or SlaHours(),
        ordered_at=ordered_at,
        ready_to_ship_at=ready,
        received_at=(ready or ordered_at) + received_after_ready,
    )


def test_on_time() -> None:
    flags = _flags(ready_after=timedelta(hours=23), received_after_ready=timedelta(hours=70))

    assert flags == SlaFlags(
        late_ready_to_ship=False,
        carrier_delay=False,
        hours_late_ready_to_ship=0.0,
        hours_carrier_over=0.0,
    )


def test_ready_exactly_at_72_hours_is_not_late() -> None:
    flags = _flags(ready_after=timedelta(hours=72))

    assert flags.late_ready_to_ship is False
    assert flags.hours_late_ready_to_ship == 0.0


def test_ready_just_over_72_hours_is_late() -> None:
    flags = _flags(ready_after=timedelta(hours=72, minutes=1))

    assert flags.late_ready_to_ship is True
    assert flags.hours_late_ready_to_ship == 0.02


def test_ready_one_second_over_is_late_though_it_rounds_to_zero_hours() -> None:
    flags = _flags(ready_after=timedelta(hours=72, seconds=1))

    assert flags.late_ready_to_ship is True
    assert flags.hours_late_ready_to_ship == 0.0


def test_ready_a_day_late() -> None:
    assert _flags(ready_after=timedelta(hours=96, minutes=30)).hours_late_ready_to_ship == 24.5


def test_never_marked_ready_is_late_and_no_carrier_delay() -> None:
    flags = _flags(ready_after=None, received_after_ready=timedelta(days=30))

    assert flags == SlaFlags(True, False, None, None)
    assert flags.as_dict() == {
        "late_ready_to_ship": True,
        "carrier_delay": False,
        "hours_late_ready_to_ship": None,
        "hours_carrier_over": None,
    }


def test_carrier_within_pickup_and_transit_is_no_delay() -> None:
    flags = _flags(ready_after=timedelta(hours=10), received_after_ready=timedelta(hours=48 + 72))

    assert flags.carrier_delay is False
    assert flags.hours_carrier_over == 0.0


def test_carrier_over_pickup_and_transit_is_a_delay() -> None:
    flags = _flags(
        ready_after=timedelta(hours=10), received_after_ready=timedelta(hours=48 + 72 + 5)
    )

    assert flags.late_ready_to_ship is False
    assert flags.carrier_delay is True
    assert flags.hours_carrier_over == 5.0


def test_late_supplier_and_slow_carrier_together() -> None:
    flags = _flags(ready_after=timedelta(hours=80), received_after_ready=timedelta(hours=121))

    assert flags.as_dict() == {
        "late_ready_to_ship": True,
        "carrier_delay": True,
        "hours_late_ready_to_ship": 8.0,
        "hours_carrier_over": 1.0,
    }


def test_received_before_ready_is_no_delay() -> None:
    flags = _flags(ready_after=timedelta(hours=10), received_after_ready=timedelta(hours=-2))

    assert flags.carrier_delay is False
    assert flags.hours_carrier_over == 0.0


def test_custom_hours() -> None:
    hours = SlaHours(ready_to_ship=24, pickup=12, transit=36)

    on_time = _flags(
        ready_after=timedelta(hours=24), received_after_ready=timedelta(hours=48), hours=hours
    )
    late = _flags(
        ready_after=timedelta(hours=30), received_after_ready=timedelta(hours=50), hours=hours
    )

    assert on_time == SlaFlags(False, False, 0.0, 0.0)
    assert late == SlaFlags(True, True, 6.0, 2.0)


def test_fractional_custom_hours() -> None:
    hours = SlaHours(ready_to_ship=0.5, pickup=0.25, transit=0.25)

    flags = _flags(
        ready_after=timedelta(minutes=45), received_after_ready=timedelta(hours=1), hours=hours
    )

    assert flags == SlaFlags(True, True, 0.25, 0.5)


# The same three instants: ordered, ready to ship, received.
_INSTANTS_UTC = (
    datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
    datetime(2026, 11, 23, 2, 30, tzinfo=UTC),
    datetime(2026, 11, 28, 3, 0, tzinfo=UTC),
)


@pytest.mark.parametrize(
    "zones",
    [
        (UTC, UTC, UTC),
        (BEIJING, BEIJING, BEIJING),
        (NEW_YORK, NEW_YORK, NEW_YORK),
        (BEIJING, UTC, NEW_YORK),
        (NEW_YORK, BEIJING, UTC),
        (ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/London"), NEW_YORK),
    ],
)
def test_time_zones_do_not_change_the_result(zones: tuple[timezone | ZoneInfo, ...]) -> None:
    ordered, ready, received = (
        at.astimezone(z) for at, z in zip(_INSTANTS_UTC, zones, strict=True)
    )

    flags = evaluate(SlaHours(), ordered_at=ordered, ready_to_ship_at=ready, received_at=received)

    assert flags == SlaFlags(True, True, 0.5, 0.5)


def _new_york(*local_times: str) -> tuple[datetime, ...]:
    return tuple(datetime.fromisoformat(t).replace(tzinfo=NEW_YORK) for t in local_times)


_DST_CASES = {
    # New York falls back on 2026-11-01: 00:30 EDT to 00:30 EST three days later is 73 hours.
    "autumn": (
        _new_york("2026-11-01T00:30", "2026-11-04T00:30", "2026-11-09T00:30"),
        SlaFlags(True, False, 1.0, 0.0),
    ),
    # New York springs forward on 2026-03-08: 12:00 EST to 12:30 EDT three days later is 71.5 h.
    "spring": (
        _new_york("2026-03-07T12:00", "2026-03-10T12:30", "2026-03-15T13:30"),
        SlaFlags(False, True, 0.0, 1.0),
    ),
}


@pytest.mark.parametrize("case", sorted(_DST_CASES))
@pytest.mark.parametrize("zone", [UTC, BEIJING, NEW_YORK])
def test_across_a_dst_change_elapsed_time_counts(case: str, zone: timezone | ZoneInfo) -> None:
    instants, expected = _DST_CASES[case]
    ordered, ready, received = (at.astimezone(zone) for at in instants)

    flags = evaluate(SlaHours(), ordered_at=ordered, ready_to_ship_at=ready, received_at=received)

    assert flags == expected


def test_local_time_is_the_warehouse_clock() -> None:
    rules = Rules(sla=SlaHours(), zone=ZoneInfo("Asia/Shanghai"))

    assert rules.local_time(datetime(2026, 11, 20, 2, 0, tzinfo=UTC)) == "2026-11-20T10:00:00+08:00"
