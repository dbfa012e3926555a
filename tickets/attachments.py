"""The attachment store: files users send (screenshots, voice recordings), kept on disk by content.

A file is stored once under the SHA-256 of its bytes, so a photo sent twice (or a retried download) takes
no more room and gets the same reference. The reference is what tickets and messages carry
(`{"ref": ..., "kind": ..., "name": ...}` in a ticket's `attachments`). Writes go to a temporary file
first and are renamed into place, so a crash never leaves a half-written file under a valid reference.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import tempfile
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidInput, NotFound

# Telegram's own limit on files a bot may download, and a sensible cap for the other channels too.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_REF = re.compile(r"^[0-9a-f]{64}(\.[a-z0-9]{1,8})?$")


class TooLarge(InvalidInput):
    """The file is over the store's limit; `limit` is in bytes, for telling the user."""

    def __init__(self, size: int | None, limit: int) -> None:
        shown = f"{size} bytes" if size is not None else "the file"
        super().__init__(f"{shown} is over the {limit // (1024 * 1024)} MB limit for attachments")
        self.limit = limit


@dataclass(frozen=True)
class StoredFile:
    ref: str
    size: int
    mime: str

    def as_attachment(self, kind: str, name: str = "") -> dict[str, str]:
        """The dict a ticket's `attachments` list holds for this file."""
        return {"ref": self.ref, "kind": kind, "name": name, "mime": self.mime}


# What an operator may send a user, told by the file's first bytes (not by the name or the browser's word):
# photos within WhatsApp's 5 MB for images, PDF documents within the store's limit.
OUTGOING = {b"\xff\xd8\xff": ("image/jpeg", (".jpg", ".jpeg")), b"\x89PNG\r\n\x1a\n": ("image/png", (".png",)),
            b"%PDF-": ("application/pdf", (".pdf",))}
OUTGOING_IMAGE_MAX_BYTES = 5 * 1024 * 1024
MAX_OUTGOING_NAME = 100


@dataclass(frozen=True)
class OutgoingFile:
    """A file an operator sends with a reply, kept in the store."""

    ref: str
    mime: str
    name: str
    size: int

    def as_attachment(self) -> dict[str, str]:
        return {"ref": self.ref, "kind": kind_of(self.mime), "name": self.name, "mime": self.mime}


def keep_outgoing(store: AttachmentStore, data: bytes, name: str) -> OutgoingFile:
    """Check an operator's file (a JPEG or PNG photo up to 5 MB, or a PDF) and keep it; InvalidInput (or
    TooLarge) saying why not."""
    found = next((found for magic, found in OUTGOING.items() if data.startswith(magic)), None)
    if found is None:
        raise InvalidInput("attachment: send a photo (JPEG or PNG) or a PDF document")
    mime, extensions = found
    limit = min(store.max_bytes, OUTGOING_IMAGE_MAX_BYTES) if mime.startswith("image/") else store.max_bytes
    if len(data) > limit:
        raise TooLarge(len(data), limit)
    cleaned = "".join(c for c in Path(name.replace("\\", "/")).name if c.isprintable()).strip()[:MAX_OUTGOING_NAME]
    if not cleaned.lower().endswith(extensions):  # the user's phone opens it by its name
        cleaned = (cleaned or "attachment")[: MAX_OUTGOING_NAME - len(extensions[0])] + extensions[0]
    stored = AttachmentStore(store.root, limit).save(data, mime=mime)
    return OutgoingFile(stored.ref, mime, cleaned, stored.size)


def kind_of(mime: str) -> str:
    """'image', 'audio', 'video' or 'file', from a MIME type."""
    major = mime.split("/", 1)[0]
    return major if major in ("image", "audio", "video") else "file"


class AttachmentStore:
    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def save(self, data: bytes, *, mime: str = "application/octet-stream") -> StoredFile:
        if len(data) > self.max_bytes:
            raise TooLarge(len(data), self.max_bytes)
        ref = self.ref_for(data, mime=mime)
        target = self._path(ref)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return StoredFile(ref, len(data), mime)

    @staticmethod
    def ref_for(data: bytes, *, mime: str) -> str:
        """The reference `save` will give these bytes (so a message can name a file before it is kept)."""
        return hashlib.sha256(data).hexdigest() + _extension(mime)

    async def save_stream(self, chunks: AsyncIterable[bytes], *, mime: str) -> StoredFile:
        """Save a download as it arrives, refusing it as soon as it passes the limit."""
        parts: list[bytes] = []
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLarge(None, self.max_bytes)
            parts.append(chunk)
        return self.save(b"".join(parts), mime=mime)

    def path(self, ref: str) -> Path:
        """The file behind a reference; NotFound if the reference is malformed or the file is gone."""
        path = self._path(ref)
        if not path.is_file():
            raise NotFound(f"no attachment {ref!r}")
        return path

    def read(self, ref: str) -> bytes:
        return self.path(ref).read_bytes()

    def mime_of(self, ref: str) -> str:
        return mimetypes.guess_type(f"x{Path(ref).suffix}")[0] or "application/octet-stream"

    def _path(self, ref: str) -> Path:
        if not _REF.match(ref):
            raise NotFound(f"no attachment {ref!r}")
        return self.root / ref[:2] / ref


def _extension(mime: str) -> str:
    guessed = mimetypes.guess_extension(mime.split(";", 1)[0].strip()) or ""
    return guessed if re.fullmatch(r"\.[a-z0-9]{1,8}", guessed) else ""
