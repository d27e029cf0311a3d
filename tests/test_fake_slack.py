"""The fake Web API answers reads the way Slack documents them, so tests cannot pass on
behaviour real Slack does not have (the parent-first thread read, paging, errors)."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fake_slack import FakeSlack
from tests.slack_requests import BOT_TOKEN


@pytest.fixture
async def client(fake_slack: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    fake_slack.reset()
    yield AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    fake_slack.reset()


def thread(fake: FakeSlack) -> list[str]:
    """A parent at .000010 with replies at .000011 … .000014, and a later top-level message."""
    fake.add_message("CFAKE01", "1700000000.000010", "parent")
    for n in range(11, 15):
        fake.add_message("CFAKE01", f"1700000000.{n:06d}", f"reply {n}", thread_ts="1700000000.000010")
    fake.add_message("CFAKE01", "1700000000.000020", "later")
    return [f"1700000000.{n:06d}" for n in range(10, 15)]


def texts(answer: object) -> list[str]:
    return [m["text"] for m in answer["messages"]]  # type: ignore[index]


async def test_replies_put_the_parent_first_and_count_it_in_the_limit(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    parent, *replies = thread(fake_slack)
    first = await client.conversations_replies(channel="CFAKE01", ts=replies[2], inclusive=True, limit=1)
    assert texts(first) == ["parent"] and first["has_more"] is True  # inclusive alone changes nothing
    windowed = await client.conversations_replies(channel="CFAKE01", ts=replies[2], oldest=replies[2],
                                                  inclusive=True, limit=2)
    assert texts(windowed) == ["parent", "reply 13"]
    exclusive = await client.conversations_replies(channel="CFAKE01", ts=parent, oldest=replies[2], limit=2)
    assert texts(exclusive) == ["parent", "reply 14"]
    bounded = await client.conversations_replies(channel="CFAKE01", ts=parent, latest=replies[1])
    assert texts(bounded) == ["parent", "reply 11"] and bounded["has_more"] is False
    assert bounded["messages"][0]["thread_ts"] == parent and bounded["messages"][0]["reply_count"] == 4


async def test_replies_and_history_page_with_cursors(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    parent, *_ = thread(fake_slack)
    pages, cursor = [], None
    while True:
        page = await client.conversations_replies(channel="CFAKE01", ts=parent, limit=2, cursor=cursor)
        pages.append(texts(page))
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page["has_more"]:
            break
    assert pages == [["parent", "reply 11"], ["reply 12", "reply 13"], ["reply 14"]]
    history = await client.conversations_history(channel="CFAKE01", limit=1)
    assert texts(history) == ["later"] and history["has_more"] is True  # newest first, no replies
    rest = await client.conversations_history(channel="CFAKE01", limit=5,
                                              cursor=history["response_metadata"]["next_cursor"])
    assert texts(rest) == ["parent"] and rest["has_more"] is False
    window = await client.conversations_history(channel="CFAKE01", latest="1700000000.000020", oldest=parent,
                                                inclusive=True)
    assert texts(window) == ["later", "parent"]


@pytest.mark.parametrize(("method", "args", "error"), [
    ("conversations_history", {"channel": "CNOPE01"}, "channel_not_found"),
    ("conversations_history", {"channel": "CFAKE01", "cursor": "bm9wZQ=="}, "invalid_cursor"),
    ("conversations_history", {"channel": "CFAKE01", "latest": "yesterday"}, "invalid_ts_latest"),
    ("conversations_history", {"channel": "CFAKE01", "limit": "many"}, "invalid_arguments"),
    ("conversations_replies", {"channel": "CFAKE01", "ts": "1600000000.000001"}, "thread_not_found"),
    ("conversations_replies", {"channel": "CNOTIN9", "ts": "1700000000.000010"}, "not_in_channel"),
    ("conversations_replies", {"channel": "CFAKE01", "ts": "1700000000.000010", "oldest": "x"}, "invalid_ts_oldest"),
    ("conversations_members", {"channel": ""}, "channel_not_found"),
    ("conversations_open", {"users": ""}, "users_list_not_supplied"),
])
async def test_reads_fail_as_slack_does(fake_slack: FakeSlack, client: AsyncWebClient, method: str,
                                        args: dict[str, str], error: str) -> None:
    thread(fake_slack)
    fake_slack.not_member.add("CNOTIN9")
    fake_slack.add_message("CNOTIN9", "1700000000.000010", "secret")
    with pytest.raises(SlackApiError) as raised:
        await getattr(client, method)(**args)
    assert raised.value.response["error"] == error


async def test_members_page(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    for user in ("UA", "UB", "UC"):
        fake_slack.add_user(user)
    first = await client.conversations_members(channel="CFAKE01", limit=2)
    assert first["members"] == ["UA", "UB"]
    rest = await client.conversations_members(channel="CFAKE01", limit=2,
                                              cursor=first["response_metadata"]["next_cursor"])
    assert rest["members"] == ["UC"] and rest["has_more"] is False


async def test_rate_limit_answers_429_with_retry_after_then_lets_calls_through(
        fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    now = [100.0]
    fake_slack.rate_limit(per_channel=1.0, burst=2, clock=lambda: now[0])
    for _ in range(2):  # the burst
        await client.chat_postMessage(channel="CFAKE01", text="hi")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="CFAKE01", text="one too many")
    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] == "1"
    await client.chat_postMessage(channel="DFAKE02", text="another channel has its own bucket")
    await client.conversations_info(channel="CFAKE01")  # other methods are not limited
    now[0] += 1.0  # one second later, one more token
    await client.chat_postMessage(channel="CFAKE01", text="after the wait")
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="CFAKE01", text="and the bucket is empty again")
    assert [c.limited for c in fake_slack.posted("CFAKE01")] == [False, False, True, False, True]
    assert len(fake_slack.messages["CFAKE01"]) == 3  # a limited call posts nothing


async def test_workspace_rate_limit_spans_channels(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    now = [100.0]
    fake_slack.rate_limit(per_channel=1.0, burst=3, workspace=2.0, workspace_burst=2, clock=lambda: now[0])
    await client.chat_postMessage(channel="D1", text="a")
    await client.chat_postMessage(channel="D2", text="b")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="D3", text="c")
    assert raised.value.response.headers["Retry-After"] == "1"
    now[0] += 0.5
    await client.chat_postMessage(channel="D3", text="c")
