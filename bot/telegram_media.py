"""Photos and documents users send: fetched through the Bot API into the attachment store.

Telegram lets bots download files of at most 20 MB and says a file's size before any download, so a larger
file is refused without fetching a byte.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from telegram import Bot, Message
from telegram.error import BadRequest

from core.messages import Attachment
from tickets.attachments import AttachmentStore, TooLarge, kind_of

BOT_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bytes; Telegram's getFile refuses bigger files


@dataclass(frozen=True)
class Media:
    file_id: str
    size: int | None
    mime: str
    name: str


def media_of(message: Message) -> Media | None:
    """The message's photo (its largest size) or document, if it has one."""
    if message.photo:
        photo = message.photo[-1]
        return Media(photo.file_id, photo.file_size, "image/jpeg", "photo.jpg")
    document = message.document
    if document is not None:
        return Media(document.file_id, document.file_size, document.mime_type or "application/octet-stream",
                     document.file_name or "")
    return None


def limit_of(store: AttachmentStore) -> int:
    return min(store.max_bytes, BOT_DOWNLOAD_LIMIT)


async def fetch(bot: Bot, media: Media, store: AttachmentStore) -> Attachment:
    """Download the file into the store; TooLarge (before downloading) when it is over the limit."""
    limit = limit_of(store)
    if media.size is not None and media.size > limit:
        raise TooLarge(media.size, limit)
    try:
        file = await bot.get_file(media.file_id)
    except BadRequest as err:  # the size was not given, and Telegram found it too big
        if "too big" in str(err).casefold():
            raise TooLarge(None, limit) from err
        raise
    if file.file_size is not None and file.file_size > limit:
        raise TooLarge(file.file_size, limit)
    data = bytes(await file.download_as_bytearray())
    stored = await asyncio.to_thread(store.save, data, mime=media.mime)
    return Attachment(stored.ref, kind_of(media.mime), media.name)
