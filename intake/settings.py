"""Settings from the environment and `.env`, prefix INTAKE_."""

import re
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from intake.errors import InvalidInput
from intake.sla import Rules, SlaHours

# An S3 bucket name (3-63 letters, digits, dots, hyphens; a few stores allow underscores), then an
# optional key prefix.
_S3_URL = re.compile(r"^s3://[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9](/[^\s]*)?$")


class Settings(BaseSettings):
    """Everything a deployment may change; defaults give the embedded SQLite set-up under var/."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""
    timezone: str = "Asia/Shanghai"
    # The platform's rules: ready to ship within 72 h of the order, collected within 48 h of that.
    ready_to_ship_hours: float = Field(default=72, gt=0)
    pickup_hours: float = Field(default=48, gt=0)
    # Domestic transit from collection to the warehouse, on top of the pickup allowance.
    transit_hours: float = Field(default=72, ge=0)
    fee_schedule_file: Path | None = None
    # Signs the evidence-photo links in reports (they open without a token until they expire).
    # Unset: a random secret made once in data_dir/link-secret; set it when several hosts serve.
    link_secret: SecretStr | None = None
    # Evidence photos, one file per distinct photo named by its SHA-256 (default: data_dir/photos).
    photo_dir: Path | None = None
    # Unset: the photos live in photo_dir. "s3://bucket/prefix": in an S3-compatible object store
    # (credentials, region and profile from the standard AWS environment variables and files).
    photo_store: str = ""
    # The object store's URL when it is not AWS S3 itself (MinIO, Ceph, ...): path-style requests.
    s3_endpoint_url: str | None = None
    # Threads for reading label text (0: every core this process may use).
    ocr_threads: int = Field(default=0, ge=0, le=64)
    # Images: a photo file or upload over these is refused before its pixels are decoded.
    max_image_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(default=40_000_000, gt=0)
    # Video: frames a new code must be read on before it is reported, and how long a code must be
    # out of view before the same carton, shown again, counts as a new presentation.
    confirm_frames: int = Field(default=2, ge=1, le=10)
    hold_off_seconds: float = Field(default=2.0, ge=0)
    # Per video frame, time after which no further enhanced decoding pass starts (0: no limit).
    frame_budget_ms: float = Field(default=20.0, ge=0)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("photo_store")
    @classmethod
    def _s3_url(cls, value: str) -> str:
        value = value.strip()
        if value and not _S3_URL.match(value):
            raise ValueError(f"expected s3://bucket/prefix (unset: the folder), not {value!r}")
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL, not {value!r}")
        return value.strip()

    @property
    def zone(self) -> ZoneInfo:
        """The warehouse's local time zone."""
        return ZoneInfo(self.timezone)

    @property
    def effective_photo_dir(self) -> Path:
        """Where evidence photos are kept."""
        return self.photo_dir or self.data_dir / "photos"

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'intake.db'}"


@lru_cache
def get_settings() -> Settings:
    """The one Settings instance of this process; a bad setting is an InvalidInput naming it."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "INTAKE_" + "_".join(str(part) for part in first["loc"]).upper()
        raise InvalidInput(f"setting {name}: {first['msg']}") from exc


def rules_from(settings: Settings) -> Rules:
    """The decision rules the configured settings describe."""
    return Rules(
        sla=SlaHours(
            ready_to_ship=settings.ready_to_ship_hours,
            pickup=settings.pickup_hours,
            transit=settings.transit_hours,
        ),
        zone=settings.zone,
    )
