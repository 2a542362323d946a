"""The production-profile cluster: two Rasa servers on PostgreSQL and Redis, with channels.

Server A answers WeChat and Weibo passively; server B has a 1 ms reply budget, so
its channel replies go through the fake platform APIs. Both share the channel state
in Redis and serve REST as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from harness.servers import Stack, free_port, make_stack
from tests.e2e.channel_users import AES_KEY, APPID, TOKEN, WEIBO_SECRET, FakeAPIs

WEBHOOK_SECRET = "signed-e2e-secret-0123456789"
# Server B's passive-reply budget: shorter than any turn can be. (It was 0.05 s until
# issue #14 made a turn faster than that: B then answered "DB2 热线" passively.)
B_REPLY_BUDGET_S = 0.001


def _credentials(apis: FakeAPIs, redis: int, reply_timeout: float | None) -> str:
    shared = {"redis_host": "127.0.0.1", "redis_port": str(redis)}
    timeout = {"reply_timeout": reply_timeout} if reply_timeout else {}
    channels = {
        "rest": None,
        "bot.channels.wechat.WeChatInput": {
            "token": TOKEN,
            "appid": APPID,
            "appsecret": "e2e-secret",
            "aes_key": AES_KEY,
            "api_base": apis.wechat.base_url,
            **shared,
            **timeout,
        },
        "bot.channels.signed_webhook.SignedWebhookInput": {"secret": WEBHOOK_SECRET, **shared},
        "bot.channels.weibo.WeiboInput": {
            "app_secret": WEIBO_SECRET,
            "access_token": "2.00e2e",
            "api_base": apis.weibo.base_url,
            **shared,
            **timeout,
        },
    }
    return yaml.safe_dump(channels, allow_unicode=True)


@contextmanager
def running_cluster(
    workdir: Path, model: Path, pg_db_url: str, redis_port: int
) -> Iterator[tuple[Stack, list[int], FakeAPIs]]:
    """The stack, its two Rasa ports (A, B) and the fake APIs, stopped afterwards."""
    lock = f"lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: {redis_port}\n  db: 1\n"
    stack = make_stack(workdir, model, pg_db_url, lock)
    apis = FakeAPIs()
    second = free_port()
    # Rasa reads its credentials once, at start: A passive, B through the APIs
    credentials = {"rasa": workdir / "credentials-a.yml", "rasa2": workdir / "credentials-b.yml"}
    credentials["rasa"].write_text(_credentials(apis, redis_port, None), "utf-8")
    credentials["rasa2"].write_text(_credentials(apis, redis_port, B_REPLY_BUDGET_S), "utf-8")
    try:
        stack.start({"rasa": stack.rasa_port, "rasa2": second}, credentials=credentials)
        yield stack, [stack.rasa_port, second], apis
    finally:
        stack.stop_all()
        apis.stop()
