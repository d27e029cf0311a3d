"""Settings from the environment or `.env`: the contract operators depend on (the Configuration table in README.md)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

DATABASE_FILE = "prodops.sqlite3"  # the embedded database's file name inside DATA_DIR

DEFAULT_API_URL = "https://slack.com/api/"
TOKEN_PREFIXES = {"slack_bot_token": ("xoxb-", "a bot token"), "slack_app_token": ("xapp-", "an app-level token")}
# Where each secret comes from, said when an unedited .env.example value is refused.
SECRET_SOURCES = {
    "slack_bot_token": "set it to the Bot User OAuth Token (xoxb-…) from your Slack app's Install App page",
    "slack_signing_secret": "set it to the Signing Secret from your Slack app's Basic Information page "
                            "(or remove the line in Socket Mode)",
    "slack_app_token": "set it to an App-Level Token (xapp-…) from Basic Information, "
                       "or remove the line to run in HTTP mode",
}
PLACEHOLDER_WORDS = {"changeme", "change-me", "change_me", "xoxb-", "xapp-", "secret", "token", "your-token",
                     "your-secret", "todo", "placeholder"}


def is_placeholder(value: str) -> bool:
    """An unedited `.env.example` value: `xoxb-...`, `...`, `<your token>`, `changeme` and the like."""
    value = value.strip()
    return ("..." in value or "…" in value or "<" in value or ">" in value
            or value.lower() in PLACEHOLDER_WORDS)


def default_data_dir() -> Path:
    """The per-user data directory: $XDG_DATA_HOME/prodops-bot, else ~/.local/share/prodops-bot
    (%LOCALAPPDATA%\\prodops-bot on Windows). The Docker image sets DATA_DIR=/data."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    if xdg and Path(xdg).is_absolute():  # the XDG spec ignores a relative value
        return Path(xdg) / "prodops-bot"
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "prodops-bot"
    return Path.home() / ".local" / "share" / "prodops-bot"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and never its value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = Field(None, description="Bot token xoxb-…")
    slack_signing_secret: SecretStr | None = Field(None, description="Verifies HTTP requests")
    slack_app_token: SecretStr | None = Field(None, description="xapp-… app token: Socket Mode")
    slack_api_url: str = Field(DEFAULT_API_URL, description="Slack Web API base URL")
    # Blank: the embedded SQLite file in DATA_DIR (filled in below, absolute).
    database_url: str = Field("", description="SQLAlchemy async URL")
    data_dir: Path = Field(default_factory=default_data_dir, description="where the SQLite file lives")
    # PostgreSQL connections per process (as many again may overflow under a burst); a request
    # that writes and reads can hold two. SQLite always has one writer and four readers.
    database_pool_size: int = Field(10, ge=1, le=200, description="PostgreSQL connections per process")
    _database_url_given: bool = PrivateAttr(False)
    _data_dir_given: bool = PrivateAttr(False)
    host: str = "0.0.0.0"
    port: int = Field(3000, ge=0, le=65535)  # 0: any free port
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # KPI pulls (bot/kpis/fetch.py) refuse URLs that resolve to a loopback, private, link-local or
    # other non-public address unless this is set, for sources on the bot's own network.
    kpi_allow_private_urls: bool = Field(False, description="KPI HTTP pulls may reach private addresses")
    # A digest whose time passed while the bot was down posts when it is back within this many
    # hours; later, that period is recorded as skipped (bot/digests/duties.py).
    digest_grace_hours: float = Field(6, ge=0, le=168, description="how late a missed digest still posts")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("slack_bot_token", "slack_app_token", "slack_signing_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and is_placeholder(value):
            # Refused before Slack sees it: the message says where the real value comes from.
            raise PydanticCustomError("placeholder", SECRET_SOURCES[info.field_name or ""])
        return value

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        prefix, kind = TOKEN_PREFIXES[info.field_name or ""]
        if value is not None and not value.get_secret_value().startswith(prefix):
            raise ValueError(f"must be {kind} starting with {prefix}")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir_blank_is_default(cls, value: object) -> object:
        return default_data_dir() if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _resolve_locations(self) -> "Settings":
        """Once, at load: DATA_DIR absolute, and the SQLite file absolute, so no later chdir (or
        another command started from another folder) finds a different database."""
        self._data_dir_given = "data_dir" in self.model_fields_set
        self._database_url_given = bool(self.database_url)
        self.data_dir = self.data_dir.expanduser().absolute()
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / DATABASE_FILE}"
        elif self.database_backend == "sqlite":
            path = self.sqlite_path()
            if path is not None and not path.is_absolute():
                self.database_url = f"sqlite+aiosqlite:///{path.expanduser().absolute()}"
        return self

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def database_backend(self) -> str:
        return "postgresql" if self.database_url.startswith("postgresql") else "sqlite"

    @property
    def database_from_data_dir(self) -> bool:
        """DATABASE_URL was not set (or blank): the database is the file in DATA_DIR."""
        return not self._database_url_given

    @property
    def data_dir_given(self) -> bool:
        return self._data_dir_given

    def sqlite_path(self) -> Path | None:
        if self.database_backend != "sqlite":
            return None
        path = self.database_url.split(":///", 1)[1] if ":///" in self.database_url else ""
        return None if path.split("?", 1)[0] in {"", ":memory:"} else Path(path.split("?", 1)[0])

    @property
    def database_location(self) -> str:
        """Where the data is, for logs and /prodops status: the SQLite file, or PostgreSQL's
        user@host:port/database. Never the password."""
        path = self.sqlite_path()
        if self.database_backend == "sqlite":
            return f"SQLite {path}" if path is not None else "SQLite in memory"
        url = make_url(self.database_url)
        user = f"{url.username}@" if url.username else ""
        return f"PostgreSQL {user}{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"

    @property
    def database_password(self) -> str | None:
        try:
            return make_url(self.database_url).password or None
        except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot read has no password to hide
            return None

    def require_runnable(self) -> None:
        """What `run` needs beyond what every command needs."""
        if self.slack_bot_token is None:
            raise ConfigError("SLACK_BOT_TOKEN is required (a bot token starting with xoxb-)")
        if not self.socket_mode and self.slack_signing_secret is None:
            raise ConfigError("SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)")


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning pydantic's report into one line that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        reason = first["msg"].removeprefix("Value error, ")
        if first["type"] == "placeholder":
            raise ConfigError(f"{name} is still the placeholder from .env.example; {reason}") from None
        raise ConfigError(f"{name} is invalid: {reason}") from None
