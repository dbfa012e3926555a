"""`helpdesk kb match` builds only what its question's script needs (the indexes of that script, the encoder
routed to it): its answer is the one a matcher over every script gives, for Latin, Odia and Devanagari
questions alike."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import cli
from core.settings import Settings
from kb.encoders import Encoders
from kb.loader import load_knowledge_base
from kb.matcher import LexicalMatcher
from kb.normalize import script_of
from tests.kb.test_fused import ConceptEncoder

QUESTIONS = ["OTP not received", "otp nahi aa raha", "ଓଟିପି ଆସୁନାହିଁ", "ओटीपी नहीं आ रहा", "पासवर्ड भूल गया"]
runner = CliRunner()


def _shown(matcher: LexicalMatcher, question: str) -> dict[str, object]:
    proposal = matcher.propose(question, limit=3)
    return {"abstain": proposal.abstain, "hits": [(h.entry_id, h.score) for h in proposal.hits],
            "reasons": proposal.reasons}


@pytest.mark.parametrize("question", QUESTIONS)
def test_kb_match_prints_what_a_matcher_over_every_script_answers(question: str) -> None:
    settings = Settings()
    everywhere = LexicalMatcher(load_knowledge_base(settings.kb_dir), settings.faq_threshold)
    expected = _shown(everywhere, question)
    result = runner.invoke(cli, ["kb", "match", question, "--format", "json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["abstain"] == expected["abstain"]
    assert [(h["id"], h["score"]) for h in printed["hits"]] == expected["hits"]
    assert printed["reasons"] == expected["reasons"].__dict__
    assert expected["hits"]  # each question finds its entry


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_matcher_of_one_script_with_its_encoder_answers_as_the_whole_one(question: str) -> None:
    kb = load_knowledge_base(Settings().kb_dir)
    encoder = ConceptEncoder()
    routed = Encoders({"latin": encoder, "odia": encoder, "devanagari": encoder})
    whole = LexicalMatcher(kb, encoders=routed)
    one = LexicalMatcher(kb, encoders=routed, scripts=(script_of(question),))
    assert one.semantic_scripts() == [script_of(question)]
    assert _shown(one, question) == _shown(whole, question)
