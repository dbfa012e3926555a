from __future__ import annotations

from kb.loader import KnowledgeBase
from kb.matcher import DEFAULT_THRESHOLD, LexicalMatcher
from kb.protocol import Matcher


def _top(matcher: LexicalMatcher, text: str) -> str:
    result = matcher.match(text)
    assert result.hits, text
    return result.hits[0].entry_id


def test_the_lexical_matcher_fulfils_the_engine_seam(matcher: LexicalMatcher) -> None:
    seam: Matcher = matcher
    assert seam.match("forgot password").hits[0].entry_id == "forgot-password"


def test_a_user_s_own_words_find_the_entry(matcher: LexicalMatcher) -> None:
    assert _top(matcher, "i cant remember the password to log in") == "forgot-password"
    assert _top(matcher, "how to check if my bill is paid") == "bill-payment-status"
    assert _top(matcher, "weekly muster roll submission") == "submit-muster-roll"


def test_hits_are_ranked_best_first_and_limited(matcher: LexicalMatcher) -> None:
    hits = matcher.match("password otp", limit=2).hits
    assert len(hits) == 2
    assert hits[0].score >= hits[1].score
    assert all(0.0 <= hit.score <= 1.0 for hit in hits)


def test_an_unrelated_question_abstains_rather_than_guessing(matcher: LexicalMatcher) -> None:
    result = matcher.match("what is the weather like in puri tomorrow")
    assert result.abstain
    assert result.confident_hits == ()
    assert matcher.match("").abstain


def test_a_confident_match_does_not_abstain(matcher: LexicalMatcher) -> None:
    result = matcher.match("forgot my password")
    assert not result.abstain
    assert result.hits[0].score >= DEFAULT_THRESHOLD


def test_synonyms_and_typos_still_match(matcher: LexicalMatcher) -> None:
    assert _top(matcher, "M.B kaise banaye") == "create-measurement-book"
    assert _top(matcher, "forgot passwrd") == "forgot-password"
    assert _top(matcher, "otp nahi aaya") == "otp-not-received"


def test_indic_digits_match_ascii_digits(matcher: LexicalMatcher) -> None:
    assert _top(matcher, "payment status of bill ୨୫") == "bill-payment-status"
    assert _top(matcher, "payment status of bill २५") == "bill-payment-status"


def test_an_odia_query_is_matched_against_odia_texts_and_answered_in_odia(matcher: LexicalMatcher) -> None:
    hit = matcher.match("ମୁଁ ପାସୱାର୍ଡ ଭୁଲିଗଲି").hits[0]
    assert hit.entry_id == "forgot-password"
    assert hit.question == "ମୁଁ ମୋର ପାସୱାର୍ଡ ଭୁଲି ଯାଇଛି"
    assert hit.answer.startswith("ଲଗଇନ")


def test_a_devanagari_query_finds_the_hindi_text(matcher: LexicalMatcher) -> None:
    assert _top(matcher, "मेरे फोन पर OTP नहीं आया") == "otp-not-received"


def test_hits_come_in_the_language_asked_for_else_english(matcher: LexicalMatcher) -> None:
    hit = matcher.match("forgot password", lang="hi").hits[0]
    assert hit.question == "मैं अपना पासवर्ड भूल गया"
    english = matcher.match("forgot password", lang="en").hits[0]
    assert english.question.startswith("I forgot my password")


def test_the_audience_hides_entries_meant_for_the_other_group(matcher: LexicalMatcher) -> None:
    employee = [h.entry_id for h in matcher.match("submit muster roll attendance", audience="employee", limit=5).hits]
    cbo = [h.entry_id for h in matcher.match("submit muster roll attendance", audience="cbo", limit=5).hits]
    assert "submit-muster-roll" not in employee
    assert cbo[0] == "submit-muster-roll"
    assert "create-measurement-book" not in [
        h.entry_id for h in matcher.match("create measurement book", audience="cbo", limit=5).hits
    ]


def test_reload_swaps_in_the_new_entries_at_once(good_kb: KnowledgeBase) -> None:
    matcher = LexicalMatcher.from_knowledge_base(good_kb)
    fewer = KnowledgeBase(good_kb.entries[2:], good_kb.sources[2:], good_kb.synonyms)
    matcher.reload(fewer)
    assert matcher.knowledge_base is fewer
    assert "forgot-password" not in [h.entry_id for h in matcher.match("forgot password", limit=5).hits]
    matcher.reload(good_kb)
    assert _top(matcher, "forgot password") == "forgot-password"


def test_an_empty_knowledge_base_always_abstains() -> None:
    result = LexicalMatcher.from_knowledge_base(KnowledgeBase()).match("forgot password")
    assert result.abstain and result.hits == ()


def test_the_threshold_can_be_set(good_kb: KnowledgeBase) -> None:
    strict = LexicalMatcher.from_knowledge_base(good_kb, threshold=0.99)
    assert strict.match("forgot my password").abstain
