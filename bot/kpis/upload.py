"""Sharing a PNG in a conversation with Slack's files upload v2 flow.

`files_upload_v2` does the three steps: files.getUploadURLExternal (a file id and an address for
the bytes), a POST of the bytes to that address, and files.completeUploadExternal, which shares
the file in the channel (or thread) with the comment. Never the retired files.upload.
"""
from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

ALT_TEXT_MAX = 1000  # files.getUploadURLExternal refuses a longer alt_txt (alt_txt_too_large)


async def upload_png(client: AsyncWebClient, channel_id: str, png: bytes, *, filename: str, title: str,
                     comment: str | None = None, thread_ts: str | None = None,
                     alt_text: str | None = None) -> str:
    """Share `png` in `channel_id` (a thread of it with `thread_ts`) under `title`, `comment` as
    the message's text; answers the file's id. The image's alt text (for screen readers) is
    `alt_text`, the title by default.

    Raises slack_sdk's SlackApiError when a Web API step fails (`response["error"]`, for example
    not_in_channel) and SlackRequestError when the upload address answers other than 200."""
    if not png:
        raise ValueError("an empty file cannot be uploaded")  # Slack answers length 0 with missing_argument
    response = await client.files_upload_v2(
        channel=channel_id, file=png, filename=filename, title=title,
        alt_txt=(alt_text if alt_text is not None else title)[:ALT_TEXT_MAX] or None,
        initial_comment=comment, thread_ts=thread_ts,
    )
    files = response.get("files") or []
    return str(files[0]["id"])
