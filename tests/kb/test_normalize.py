from __future__ import annotations

from kb.normalize import Normalizer, Synonyms, fold, script_of, split_words, stem


def test_odia_and_devanagari_digits_read_as_ascii() -> None:
    assert fold("ବିଲ ୨୫ / बिल २५") == "ବିଲ 25 / बिल 25"


def test_case_punctuation_and_width_are_folded_away() -> None:
    assert split_words("Can't LOGIN!!! (ＯＴＰ) m.b") == ["cant", "login", "otp", "m", "b"]


def test_odia_vowel_signs_stay_inside_their_word() -> None:
    assert split_words("ମୁଁ ପାସୱାର୍ଡ ଭୁଲିଗଲି।") == ["ମୁଁ", "ପାସୱାର୍ଡ", "ଭୁଲିଗଲି"]


def test_synonym_variants_become_the_canonical_phrase_as_whole_words() -> None:
    synonyms = Synonyms.from_mapping({"measurement book": ["mb", "m.b"], "otp not received": ["otp nahi aaya"]})
    normalizer = Normalizer(synonyms)
    assert normalizer.words("M.B kaise banaye") == ["measurement", "book", "kaise", "banaye"]
    assert normalizer.words("otp nahi aaya abhi") == ["otp", "not", "received", "abhi"]
    assert normalizer.words("mbps is slow") == ["mbps", "is", "slow"]


def test_english_words_are_stemmed_and_other_scripts_left_alone() -> None:
    assert stem("payments") == stem("payment") == "payment"
    assert stem("submitted") == stem("submitting")
    assert stem("ପାସୱାର୍ଡ") == "ପାସୱାର୍ଡ"


def test_the_script_is_the_one_most_letters_use() -> None:
    assert script_of("ମୋ ଫୋନରେ OTP ଆସୁନାହିଁ") == "odia"
    assert script_of("मेरा पासवर्ड") == "devanagari"
    assert script_of("bill ୨୫ status") == "latin"
    assert script_of("") == "latin"
