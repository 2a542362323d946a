"""Which messaging channels are enabled, and their shared defaults.

A channel is enabled by its environment variables: all unset means "not enabled",
all required ones set means "enabled", anything in between is a configuration
mistake that must stop the start-up with a message naming the missing variables.

``enabled_channels`` returns the ``credentials.yml`` entries for the enabled channels.
By default the values are ``${VAR}`` placeholders, which Rasa expands when it reads
the file, so that no secret is written to disk. Write them with ``yaml.safe_dump``
(``render_credentials``): Rasa only expands *unquoted* (plain) scalars.

Command line (used by ``scripts/run.sh``)::

    python -m bot.channels.config --write var/credentials.yml [--base credentials.yml]

writes the base file's channels (Rasa's ``rest``) plus the enabled ones, and exits
with status 2 and the list of missing variables when a channel is half-configured.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rasa.shared.exceptions import RasaException

# -- defaults shared by the channels -------------------------------------------
# WeChat and Weibo drop the connection after 5 s and retry; answer before that.
DEFAULT_REPLY_TIMEOUT = 4.5
# Platform pushes are a few KiB; anything much larger is not from them.
MAX_BODY_BYTES = 64 * 1024
# Accept signed requests whose timestamp is at most this far from our clock.
MAX_CLOCK_SKEW = 300.0
# Retries come within ~15 s; keep ids much longer (opencrust PR #249 uses 120 s).
DEDUPE_TTL = 120.0
DEDUPE_MAX_ENTRIES = 10_000
# Total time allowed for one call to a platform API.
API_TIMEOUT = 10.0
DEFAULT_WECHAT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_WEIBO_API_BASE = "https://m.api.weibo.com"


class ChannelConfigError(RasaException, ValueError):
    """A channel is half-configured or has an invalid setting.

    A ``RasaException`` so that ``rasa run`` prints the message instead of a traceback.
    """


@dataclass(frozen=True)
class ChannelSpec:
    """How one channel maps environment variables to its credentials keys."""

    name: str
    class_path: str
    # credentials key -> environment variable
    required: Mapping[str, str]
    # secrets that are optional but, when set, show the channel is meant to be on
    optional: Mapping[str, str] = field(default_factory=dict)
    # plain overrides of defaults (API base URLs); they never enable a channel alone
    settings: Mapping[str, str] = field(default_factory=dict)

    def all_keys(self) -> dict[str, str]:
        """Every credentials key of the channel, with its variable."""
        return {**self.required, **self.optional, **self.settings}


# The shared channel state (bot.channels.state): the production profile's Redis.
REDIS_SETTINGS = {
    "redis_host": "REDIS_HOST",
    "redis_port": "REDIS_PORT",
    "redis_password": "REDIS_PASSWORD",
    "redis_db": "CHANNEL_REDIS_DB",
}

CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec(
        name="wechat",
        class_path="bot.channels.wechat.WeChatInput",
        required={
            "token": "WECHAT_TOKEN",
            "appid": "WECHAT_APPID",
            "appsecret": "WECHAT_APPSECRET",
        },
        optional={"aes_key": "WECHAT_AES_KEY"},
        settings={"api_base": "WECHAT_API_BASE", "push": "WECHAT_PUSH", **REDIS_SETTINGS},
    ),
    ChannelSpec(
        name="weibo",
        class_path="bot.channels.weibo.WeiboInput",
        required={
            "app_secret": "WEIBO_APP_SECRET",
            "access_token": "WEIBO_ACCESS_TOKEN",
        },
        settings={"api_base": "WEIBO_API_BASE", **REDIS_SETTINGS},
    ),
    ChannelSpec(
        name="signed_webhook",
        class_path="bot.channels.signed_webhook.SignedWebhookInput",
        required={"secret": "WEBHOOK_SECRET"},
        settings={"trusted": "WEBHOOK_TRUSTED", **REDIS_SETTINGS},
    ),
)


def channel_spec(name: str) -> ChannelSpec:
    """The spec of a channel by its name (``wechat``, ``weibo``, ``signed_webhook``)."""
    for spec in CHANNELS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def _is_set(value: Any | None) -> bool:
    return value is not None and str(value).strip() != ""


def enabled_channels(
    env: Mapping[str, str] | None = None, *, placeholders: bool = True
) -> dict[str, dict[str, str]]:
    """The ``credentials.yml`` entries of the channels configured in ``env``.

    Args:
        env: the environment (``os.environ`` when omitted).
        placeholders: write ``${VAR}`` for Rasa to expand (default) instead of values.

    Returns:
        ``{class_path: {credentials_key: value}}`` for each enabled channel.

    Raises:
        ChannelConfigError: a channel has some of its variables set but not all the
            required ones; the message names every missing variable.
    """
    env = os.environ if env is None else env
    entries: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for spec in CHANNELS:
        intent = {**spec.required, **spec.optional}
        if not any(_is_set(env.get(var)) for var in intent.values()):
            continue
        missing = [var for var in spec.required.values() if not _is_set(env.get(var))]
        if missing:
            problems.append(
                f"the {spec.name} channel is half-configured: set {', '.join(missing)} "
                f"(or unset {', '.join(v for v in intent.values() if _is_set(env.get(v)))}"
                f" to disable it)"
            )
            continue
        entries[spec.class_path] = {
            key: "${" + var + "}" if placeholders else str(env[var]).strip()
            for key, var in spec.all_keys().items()
            if _is_set(env.get(var))
        }
    if problems:
        raise ChannelConfigError("; ".join(problems))
    return entries


def checked_credentials(name: str, credentials: Mapping[str, Any] | None) -> dict[str, Any]:
    """A channel's credentials with empty values dropped, or an error naming gaps.

    Used by ``from_credentials`` so that a hand-written ``credentials.yml`` with an
    empty or missing secret fails at start-up rather than on the first request.
    """
    spec = channel_spec(name)
    cleaned = {k: v for k, v in (credentials or {}).items() if _is_set(v)}
    missing = [f"{k} ({var})" for k, var in spec.required.items() if k not in cleaned]
    if missing:
        raise ChannelConfigError(
            f"The {name} channel ({spec.class_path}) is missing credentials: "
            f"{', '.join(missing)}. Set the environment variables or remove the "
            f"channel from credentials.yml."
        )
    return {k: v.strip() if isinstance(v, str) else v for k, v in cleaned.items()}


def float_setting(value: Any, default: float, what: str) -> float:
    """A positive number from credentials (YAML may give a string), else ``default``."""
    if not _is_set(value):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ChannelConfigError(f"{what} must be a number, got {value!r}") from None
    if number <= 0:
        raise ChannelConfigError(f"{what} must be positive, got {value!r}")
    return number


_ON, _OFF = frozenset({"on", "true", "yes", "1"}), frozenset({"off", "false", "no", "0"})


def switch_setting(value: Any, default: bool, what: str) -> bool:
    """An on/off setting from credentials (``on``/``off``, ``true``/``false``, YAML booleans)."""
    if isinstance(value, bool):
        return value
    if not _is_set(value):
        return default
    word = str(value).strip().lower()
    if word in _ON or word in _OFF:
        return word in _ON
    raise ChannelConfigError(f"{what} must be on or off, got {value!r}")


def render_credentials(entries: Mapping[str, Any]) -> str:
    """A ``credentials.yml`` text; placeholders stay plain scalars so Rasa expands them."""
    header = "# Written by bot.channels.config from the environment; do not edit.\n"
    return header + yaml.safe_dump(dict(entries), sort_keys=False, allow_unicode=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Print or write the runtime credentials file; 2 when a channel is half-configured."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.channels.config",
        description="Write Rasa's credentials file for the channels set in the environment.",
    )
    parser.add_argument("--write", metavar="PATH", help="write here instead of printing")
    parser.add_argument(
        "--base",
        default="credentials.yml",
        help="channels that are always on, e.g. rest (default: %(default)s; optional)",
    )
    args = parser.parse_args(argv)
    try:
        channels = enabled_channels()
    except ChannelConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    base_path = Path(args.base)
    base = yaml.safe_load(base_path.read_text(encoding="utf-8")) if base_path.exists() else None
    text = render_credentials({**(base or {}), **channels})
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
        names = [spec.name for spec in CHANNELS if spec.class_path in channels]
        extra = f" plus those of {base_path}" if base is not None else ""
        print(f"{args.write}: channels {', '.join(names) or 'none'}{extra}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
