"""The platform's shipping deadlines, applied to one carton's timestamps (pure rules)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class SlaHours:
    """The allowances, in hours, as configured for the warehouse."""

    ready_to_ship: float = 72
    pickup: float = 48
    transit: float = 72


@dataclass(frozen=True, slots=True)
class Rules:
    """The warehouse's configured rules that decisions depend on."""

    sla: SlaHours
    zone: ZoneInfo

    def local_time(self, at: datetime) -> str:
        """A timestamp as the warehouse reads it: local time with its offset."""
        return at.astimezone(self.zone).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class SlaFlags:
    """Whether the supplier shipped late and whether the carrier took too long to deliver."""

    late_ready_to_ship: bool
    carrier_delay: bool
    hours_late_ready_to_ship: float | None  # over the allowance; None when never marked
    hours_carrier_over: float | None  # over pickup + transit; None when not computable

    def as_dict(self) -> dict[str, object]:
        """The flags as JSON-friendly data."""
        return {
            "late_ready_to_ship": self.late_ready_to_ship,
            "carrier_delay": self.carrier_delay,
            "hours_late_ready_to_ship": self.hours_late_ready_to_ship,
            "hours_carrier_over": self.hours_carrier_over,
        }


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def evaluate(
    hours: SlaHours,
    *,
    ordered_at: datetime,
    ready_to_ship_at: datetime | None,
    received_at: datetime,
) -> SlaFlags:
    """Late: ready to ship after the allowance (or never). Delayed: the carrier ran over."""
    if ready_to_ship_at is None:
        return SlaFlags(True, False, None, None)
    # In UTC: two times of one ZoneInfo subtract as wall clocks, off by an hour across DST.
    ordered, ready, received = (
        t.astimezone(UTC) for t in (ordered_at, ready_to_ship_at, received_at)
    )
    late_by = ready - ordered - timedelta(hours=hours.ready_to_ship)
    over_by = received - ready - timedelta(hours=hours.pickup + hours.transit)
    return SlaFlags(
        late_ready_to_ship=late_by > timedelta(0),
        carrier_delay=over_by > timedelta(0),
        hours_late_ready_to_ship=max(_hours(late_by), 0.0),
        hours_carrier_over=max(_hours(over_by), 0.0),
    )
