"""bot.channels.config: which channels the environment enables, and from_credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.core.channels.channel import InputChannel
from rasa.shared.exceptions import RasaException
from rasa.shared.utils.common import class_from_module_path
from rasa.shared.utils.io import read_config_file

from bot.channels.config import (
    CHANNELS,
    ChannelConfigError,
    enabled_channels,
    main,
    render_credentials,
)
from bot.channels.signed_webhook import SignedWebhookInput
from bot.channels.wechat import WeChatInput
from bot.channels.weibo import WeiboInput

WECHAT_ENV = {"WECHAT_TOKEN": "tok3n", "WECHAT_APPID": "wxid", "WECHAT_APPSECRET": "s3cr3t"}
WEIBO_ENV = {"WEIBO_APP_SECRET": "wsec", "WEIBO_ACCESS_TOKEN": "wtok"}
WEBHOOK_ENV = {"WEBHOOK_SECRET": "hook-secret-0123456789"}
ALL_VARIABLES = [var for spec in CHANNELS for var in spec.all_keys().values()]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in ALL_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_nothing_set_enables_nothing() -> None:
    assert enabled_channels({}) == {}
    assert enabled_channels({"WECHAT_TOKEN": "", "WEBHOOK_SECRET": "  "}) == {}


def test_api_base_alone_enables_nothing() -> None:
    assert enabled_channels({"WECHAT_API_BASE": "http://127.0.0.1:1"}) == {}


def test_full_channels_are_enabled_with_placeholders() -> None:
    env = {**WECHAT_ENV, **WEIBO_ENV, **WEBHOOK_ENV, "WECHAT_AES_KEY": "k" * 43}
    assert enabled_channels(env) == {
        "bot.channels.wechat.WeChatInput": {
            "token": "${WECHAT_TOKEN}",
            "appid": "${WECHAT_APPID}",
            "appsecret": "${WECHAT_APPSECRET}",
            "aes_key": "${WECHAT_AES_KEY}",
        },
        "bot.channels.weibo.WeiboInput": {
            "app_secret": "${WEIBO_APP_SECRET}",
            "access_token": "${WEIBO_ACCESS_TOKEN}",
        },
        "bot.channels.signed_webhook.SignedWebhookInput": {"secret": "${WEBHOOK_SECRET}"},
    }


def test_values_instead_of_placeholders() -> None:
    env = {**WECHAT_ENV, "WECHAT_API_BASE": "http://127.0.0.1:8080"}
    assert enabled_channels(env, placeholders=False) == {
        "bot.channels.wechat.WeChatInput": {
            "token": "tok3n",
            "appid": "wxid",
            "appsecret": "s3cr3t",
            "api_base": "http://127.0.0.1:8080",
        }
    }


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"WECHAT_TOKEN": "tok"}, ["WECHAT_APPID", "WECHAT_APPSECRET"]),
        ({"WECHAT_AES_KEY": "k" * 43}, ["WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_APPSECRET"]),
        ({**WECHAT_ENV, "WECHAT_APPSECRET": ""}, ["WECHAT_APPSECRET"]),
        ({"WEIBO_ACCESS_TOKEN": "t"}, ["WEIBO_APP_SECRET"]),
    ],
)
def test_half_configured_channel_is_an_error(env: dict[str, str], missing: list[str]) -> None:
    with pytest.raises(ChannelConfigError) as error:
        enabled_channels(env)
    message = str(error.value)
    for var in missing:
        assert var in message
    assert "half-configured" in message


def test_every_half_configured_channel_is_named() -> None:
    with pytest.raises(ChannelConfigError) as error:
        enabled_channels({"WECHAT_APPID": "x", "WEIBO_APP_SECRET": "y", **WEBHOOK_ENV})
    assert "wechat" in str(error.value) and "weibo" in str(error.value)
    assert isinstance(error.value, RasaException)  # rasa run prints it without a traceback


def test_rasa_expands_the_written_placeholders(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    for name, value in {**WECHAT_ENV, **WEBHOOK_ENV}.items():
        clean_env.setenv(name, value)
    path = tmp_path / "credentials.yml"
    path.write_text(render_credentials({"rest": None, **enabled_channels()}), encoding="utf-8")
    credentials = read_config_file(str(path))
    assert credentials["bot.channels.wechat.WeChatInput"] == {
        "token": "tok3n",
        "appid": "wxid",
        "appsecret": "s3cr3t",
    }
    assert "rest" in credentials
    written = path.read_text(encoding="utf-8")
    assert "tok3n" not in written and "s3cr3t" not in written  # no secret on disk


def test_channels_are_built_from_their_module_paths() -> None:
    env = {**WECHAT_ENV, **WEIBO_ENV, **WEBHOOK_ENV}
    built = {
        path: class_from_module_path(path).from_credentials(creds)
        for path, creds in enabled_channels(env, placeholders=False).items()
    }
    assert {type(channel) for channel in built.values()} == {
        WeChatInput,
        WeiboInput,
        SignedWebhookInput,
    }
    assert {channel.name() for channel in built.values()} == {"wechat", "weibo", "signed_webhook"}


@pytest.mark.parametrize(
    ("cls", "credentials", "named"),
    [
        (WeChatInput, {"token": "t", "appid": "a"}, "appsecret (WECHAT_APPSECRET)"),
        (WeChatInput, {"token": "t", "appid": "a", "appsecret": ""}, "WECHAT_APPSECRET"),
        (WeiboInput, {"app_secret": "s"}, "access_token (WEIBO_ACCESS_TOKEN)"),
        (SignedWebhookInput, {"secret": "  "}, "secret (WEBHOOK_SECRET)"),
    ],
)
def test_from_credentials_refuses_half_configured(
    cls: type[InputChannel], credentials: dict[str, str], named: str
) -> None:
    with pytest.raises(ChannelConfigError, match="missing credentials") as error:
        cls.from_credentials(credentials)
    assert named in str(error.value)


@pytest.mark.parametrize("cls", [WeChatInput, WeiboInput, SignedWebhookInput])
def test_from_credentials_without_credentials(cls: type[InputChannel]) -> None:
    with pytest.raises(RasaException):
        cls.from_credentials(None)


def test_from_credentials_reads_optional_settings() -> None:
    channel = WeChatInput.from_credentials(
        {
            "token": "t",
            "appid": "wxid",
            "appsecret": "s",
            "aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            "api_base": "http://127.0.0.1:1/",
            "reply_timeout": "0.3",
        }
    )
    assert isinstance(channel, WeChatInput)
    assert channel.crypto is not None
    assert channel.api.api_base == "http://127.0.0.1:1"
    assert channel.coordinator.budget == 0.3


@pytest.mark.parametrize(
    "extra",
    [{"aes_key": "too-short"}, {"reply_timeout": "soon"}, {"reply_timeout": "-1"}],
)
def test_from_credentials_refuses_invalid_settings(extra: dict[str, str]) -> None:
    with pytest.raises(ChannelConfigError):
        WeChatInput.from_credentials({"token": "t", "appid": "a", "appsecret": "s", **extra})


def test_cli_writes_base_plus_enabled_channels(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in WEBHOOK_ENV.items():
        clean_env.setenv(name, value)
    base = tmp_path / "credentials.yml"
    base.write_text("rest:\n", encoding="utf-8")
    out = tmp_path / "var" / "credentials.yml"
    out.parent.mkdir()
    assert main(["--write", str(out), "--base", str(base)]) == 0
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written == {
        "rest": None,
        "bot.channels.signed_webhook.SignedWebhookInput": {"secret": "${WEBHOOK_SECRET}"},
    }
    assert "signed_webhook" in capsys.readouterr().err


def test_cli_fails_on_half_configured(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("WECHAT_TOKEN", "tok")
    out = tmp_path / "credentials.yml"
    assert main(["--write", str(out), "--base", str(tmp_path / "none.yml")]) == 2
    assert not out.exists()
    assert "WECHAT_APPID" in capsys.readouterr().err
