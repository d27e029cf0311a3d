""".env.example reads the same to the bot (pydantic-settings' .env loading, python-dotenv) and to
`docker run --env-file` (every line verbatim), as it is and with every commented-out setting
uncommented: a quote, a trailing comment or a space around the value would differ (issue 9)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import create_model
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.config import Settings

EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"
COMMENTED_SETTING = re.compile(r"^#\s?([A-Za-z_][A-Za-z0-9_]*=.*)$")


def docker_env_file(text: str) -> dict[str, str]:
    """What `docker run --env-file` passes to the container (docker/cli opts/file.go): leading
    whitespace trimmed, blank lines and lines starting with # skipped, the rest split at the
    first `=` with the value passed through untouched; a name with whitespace is an error."""
    env: dict[str, str] = {}
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        name, has_value, value = line.partition("=")
        name = name.lstrip(" \t")
        assert name and not re.search(r"\s", name), f"line {number}: docker refuses the name {name!r}"
        assert has_value, f"line {number}: {name} without = takes the host's value under docker"
        env[name] = value
    return env


class _DotEnvOnly(BaseSettings):
    """bot.config.Settings' loader and encoding, with the process environment left out."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (dotenv_settings,)


def pydantic_env_file(path: Path, names: list[str]) -> dict[str, str]:
    """What a pydantic-settings model with a str field per name reads from `path` as its .env."""
    probe = create_model("Probe", __base__=_DotEnvOnly, **{n.lower(): (str | None, None) for n in names})
    values = probe(_env_file=path).model_dump()
    return {name: values[name.lower()] for name in names if values[name.lower()] is not None}


def uncommented(text: str) -> str:
    """The file with every commented-out `# KEY=value` line switched on."""
    return "\n".join(m.group(1) if (m := COMMENTED_SETTING.match(line)) else line
                     for line in text.splitlines()) + "\n"


VARIANTS = {"as shipped": EXAMPLE.read_text(encoding="utf-8"),
            "every setting uncommented": uncommented(EXAMPLE.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("variant", VARIANTS)
def test_docker_and_pydantic_settings_read_the_same_values(variant: str, tmp_path: Path) -> None:
    text = VARIANTS[variant]
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    docker = docker_env_file(text)
    assert docker, "no settings found"
    assert pydantic_env_file(path, list(docker)) == docker


def test_every_line_is_a_comment_a_blank_or_key_equals_value() -> None:
    for number, line in enumerate(VARIANTS["as shipped"].splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*=[^\s\"'#][^\"'#]*", line) and line == line.rstrip(), (
            f"line {number} {line!r}: KEY=value with no quotes, spaces or comment after the value")


def test_every_setting_named_is_one_the_bot_reads() -> None:
    known = {name.upper() for name in Settings.model_fields}
    assert set(docker_env_file(VARIANTS["every setting uncommented"])) <= known


def test_the_secrets_are_left_as_obvious_placeholders() -> None:
    """An unedited copy must not look like a real token (the bot refuses `xoxb-...`)."""
    env = docker_env_file(VARIANTS["every setting uncommented"])
    assert env["SLACK_BOT_TOKEN"] == "xoxb-..."
    assert env["SLACK_APP_TOKEN"] == "xapp-..."
    assert env["SLACK_SIGNING_SECRET"] == "..."
