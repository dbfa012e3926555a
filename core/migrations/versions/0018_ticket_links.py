"""The operators' workspace: tickets merged into another (`tickets.merged_into`), links between duplicate
tickets, each operator's saved queue filters, and canned responses in three languages (the four texts the
console had, translated).

A plain ADD COLUMN on `tickets` (never a batch table copy: on SQLite that would drop the search triggers of
0014) and two new tables.

Revision ID: 0018
Revises: 0021
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0018"
down_revision = "0021"
branch_labels = None
depends_on = None

CANNED = [
    ("Looking into it", {
        "en": "Thank you for reporting this. We are looking into it and will update you here on ticket {number}.",
        "or": "ଏହା ଜଣାଇଥିବାରୁ ଧନ୍ୟବାଦ। ଆମେ ଏହାକୁ ଦେଖୁଛୁ ଏବଂ ଟିକେଟ {number} ବିଷୟରେ ଏଠାରେ ଆପଣଙ୍କୁ ଜଣାଇବୁ।",
        "hi": "यह बताने के लिए धन्यवाद। हम इसे देख रहे हैं और टिकट {number} के बारे में आपको यहीं बताएँगे।"}),
    ("Ask for a screenshot", {
        "en": "Could you please send a screenshot of the screen where this happens?",
        "or": "ଯେଉଁ ସ୍କ୍ରିନରେ ଏହା ହେଉଛି, ଦୟାକରି ତାହାର ଏକ ସ୍କ୍ରିନସଟ ପଠାଇବେ କି?",
        "hi": "जिस स्क्रीन पर यह होता है, कृपया उसका एक स्क्रीनशॉट भेजेंगे?"}),
    ("Fixed: log in again", {
        "en": "This is fixed now. Please log out, log in again and try once more.",
        "or": "ଏହା ଏବେ ଠିକ ହୋଇଗଲା। ଦୟାକରି ଲଗ ଆଉଟ କରି ପୁଣି ଲଗ ଇନ କରନ୍ତୁ ଏବଂ ଆଉ ଥରେ ଚେଷ୍ଟା କରନ୍ତୁ।",
        "hi": "यह अब ठीक हो गया है। कृपया लॉग आउट करके फिर से लॉग इन करें और एक बार और कोशिश करें।"}),
    ("Passed to the technical team", {
        "en": "We have passed this to the technical team; we will tell you as soon as they answer.",
        "or": "ଆମେ ଏହାକୁ ବୈଷୟିକ ଦଳକୁ ପଠାଇଛୁ; ସେମାନେ ଉତ୍ତର ଦେବା ମାତ୍ରେ ଆପଣଙ୍କୁ ଜଣାଇବୁ।",
        "hi": "हमने इसे तकनीकी टीम को भेज दिया है; उनका जवाब आते ही हम आपको बताएँगे।"}),
]


def upgrade() -> None:
    op.add_column("tickets", sa.Column("merged_into", sa.String(32)))
    op.create_table(
        "ticket_links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("other_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("ticket_id", "other_id", name="uq_ticket_links_pair"),
    )
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(64), nullable=False, index=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("query", sa.String(1000), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("owner", "name", name="uq_saved_filters_owner_name"),
    )
    canned = op.create_table(
        "canned_responses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("texts", JsonType, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    at = datetime(2026, 12, 2, tzinfo=UTC)
    op.bulk_insert(canned, [{"title": title, "texts": texts, "updated_by": "migration 0018", "updated_at": at}
                            for title, texts in CANNED])


def downgrade() -> None:
    op.drop_table("canned_responses")
    op.drop_table("saved_filters")
    op.drop_table("ticket_links")
    op.drop_column("tickets", "merged_into")
