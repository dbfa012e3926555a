"""The attachment store keeps each file once, by content, and refuses what is over the limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.errors import InvalidInput, NotFound
from tickets.attachments import AttachmentStore, TooLarge, keep_outgoing, kind_of

PNG = b"\x89PNG\r\n\x1a\n" + b"screenshot" * 10


def test_a_saved_file_reads_back_and_the_same_bytes_get_the_same_ref(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path)
    first = store.save(PNG, mime="image/png")
    again = store.save(PNG, mime="image/png")
    assert first.ref == again.ref and first.ref.endswith(".png")
    assert store.read(first.ref) == PNG
    assert first.as_attachment("image", "error.png") == {
        "ref": first.ref, "kind": "image", "name": "error.png", "mime": "image/png"}
    assert len(list(tmp_path.rglob("*.png"))) == 1


def test_over_the_limit_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path, max_bytes=10)
    with pytest.raises(TooLarge, match="limit"):
        store.save(b"x" * 11)
    assert not any(tmp_path.rglob("*"))


async def test_a_stream_is_cut_off_as_soon_as_it_passes_the_limit(tmp_path: Path) -> None:
    pulled: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(100):
            pulled.append(i)
            yield b"y" * 4

    with pytest.raises(TooLarge):
        await AttachmentStore(tmp_path, max_bytes=10).save_stream(chunks(), mime="image/jpeg")
    assert len(pulled) == 3


@pytest.mark.parametrize("ref", ["../../etc/passwd", "abc", "0" * 64 + "/x", ""])
def test_a_malformed_or_unknown_ref_is_not_found_never_a_path_outside_the_store(tmp_path: Path, ref: str) -> None:
    with pytest.raises(NotFound):
        AttachmentStore(tmp_path).path(ref)


def test_kinds_from_mime_types() -> None:
    assert [kind_of(m) for m in ("image/jpeg", "audio/wav", "video/mp4", "application/pdf")] == [
        "image", "audio", "video", "file"]


@pytest.mark.parametrize(("data", "name", "kept_as"), [
    (b"\xff\xd8\xff\xe0photo", "IMG_2041.JPEG", ("image/jpeg", "IMG_2041.JPEG")),
    (b"\x89PNG\r\n\x1a\nscreen", "screen", ("image/png", "screen.png")),
    (b"%PDF-1.7 circular", "C:\\Users\\asha\\circular 12.pdf", ("application/pdf", "circular 12.pdf")),
    (b"%PDF-1.7 circular", "../../etc/passwd", ("application/pdf", "passwd.pdf")),
])
def test_an_operators_file_is_known_by_its_bytes_and_named_for_the_users_phone(
    tmp_path: Path, data: bytes, name: str, kept_as: tuple[str, str]
) -> None:
    kept = keep_outgoing(AttachmentStore(tmp_path), data, name)
    assert (kept.mime, kept.name) == kept_as
    assert AttachmentStore(tmp_path).read(kept.ref) == data


@pytest.mark.parametrize("data", [b"GIF89a", b"<html><script>", b"PK\x03\x04 a zip", b""])
def test_other_files_are_refused_saying_what_may_be_sent(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InvalidInput, match="JPEG or PNG"):
        keep_outgoing(AttachmentStore(tmp_path), data, "file.pdf")


def test_a_photo_over_whatsapps_5_mb_is_refused_though_the_store_takes_20(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path, 20 * 1024 * 1024)
    with pytest.raises(TooLarge, match="5 MB"):
        keep_outgoing(store, b"\xff\xd8\xff" + b"x" * (5 * 1024 * 1024), "big.jpg")
    assert keep_outgoing(store, b"%PDF-" + b"x" * (6 * 1024 * 1024), "big.pdf").size > 5 * 1024 * 1024
