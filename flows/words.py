"""The words users type instead of tapping: yes/no and the global commands, per language, in one place.

Romanised Odia and Hindi sit beside the native script because many phones have no Odia keyboard. A command
works only as a whole message, so none of these may be a plausible problem description or a menu label
(tests check the labels).
"""

from __future__ import annotations

YES_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("yes", "y", "yeah", "yes please"),
    "or": ("ହଁ", "ହଉ", "ହଁ ଅଛି", "ha", "haan", "han", "hoi", "ho", "hau"),
    "hi": ("हाँ", "हां", "हा", "जी", "जी हाँ", "जी हां", "haan", "ha", "han", "ji", "ji haan", "hanji"),
}
NO_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("no", "n", "nope"),
    "or": ("ନା", "ନାହିଁ", "ନାଇଁ", "na", "nahin", "nai", "nahi"),
    "hi": ("नहीं", "नही", "ना", "जी नहीं", "na", "nahi", "nahin", "nai", "ji nahi"),
}

# a greeting alone ("hi", "ନମସ୍କାର") answers no question: the question is asked again, without "not an option"
GREETING_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("hi", "hii", "hello", "hey", "hello there", "good morning", "good afternoon", "good evening"),
    "or": ("ନମସ୍କାର", "ନମସ୍ତେ", "ନମସ୍କାର ସାର୍", "namaskar", "namaskara", "namaste", "johar"),
    "hi": ("नमस्ते", "नमस्कार", "प्रणाम", "राम राम", "नमस्ते जी", "namaste", "namaskar", "pranam", "ram ram"),
}

# what users call each language, in any script (the menu shows each in its own script)
LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("english", "angreji", "ଇଂରାଜୀ", "अंग्रेज़ी", "अंग्रेजी"),
    "or": ("odia", "oriya", "odiya", "ଓଡ଼ିଆ", "ଓଡିଆ", "ओड़िया", "उड़िया"),
    "hi": ("hindi", "ହିନ୍ଦୀ", "हिंदी", "हिन्दी"),
}

# trigger -> language -> whole-message words
COMMAND_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "help": {
        "en": ("help", "menu", "?"),
        "or": ("ସାହାଯ୍ୟ", "ସାହାଯ୍ୟ କରନ୍ତୁ", "sahajya", "sahayya"),
        "hi": ("मदद", "सहायता", "मदद करें", "madad", "sahayata"),
    },
    "cancel": {
        "en": ("cancel", "stop"),
        "or": ("ବାତିଲ", "ବାତିଲ କରନ୍ତୁ", "batil"),
        "hi": ("रद्द", "रद्द करें", "radd", "radd karo", "cancel karo"),
    },
    "restart": {
        "en": ("restart", "start", "start over", "new"),
        "or": ("ପୁଣି ଆରମ୍ଭ", "ନୂଆ ଆରମ୍ଭ", "puni arambha"),
        "hi": ("फिर से शुरू", "नई शुरुआत", "phir se shuru", "dobara shuru"),
    },
    "change_language": {
        "en": ("language", "lang"),
        "or": ("ଭାଷା", "ଭାଷା ବଦଳାନ୍ତୁ", "bhasa", "bhasha"),
        "hi": ("भाषा", "भाषा बदलें", "bhasha badlo"),
    },
    "change_profile": {
        "en": ("profile", "change role", "change ulb"),
        "or": ("ପ୍ରୋଫାଇଲ", "ପ୍ରୋଫାଇଲ୍", "ଭୂମିକା ବଦଳାନ୍ତୁ"),
        "hi": ("प्रोफ़ाइल", "प्रोफाइल", "भूमिका बदलें"),
    },
    "status": {
        "en": ("status", "my tickets"),
        "or": ("ସ୍ଥିତି", "ମୋ ଟିକେଟ", "mo ticket"),
        "hi": ("स्थिति", "मेरे टिकट", "mere ticket", "ticket ki sthiti"),
    },
    "human": {
        "en": ("human", "agent", "talk to a human", "person"),
        "or": ("ମଣିଷ", "ମଣିଷ ସହ କଥା", "ଅଧିକାରୀଙ୍କ ସହ କଥା", "ଲୋକ ସହ କଥା ହେବି", "manisa"),
        "hi": ("इंसान", "इंसान से बात", "व्यक्ति से बात", "अधिकारी से बात", "insaan", "insaan se baat"),
    },
}


def all_words(table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Every language's words, first language first, without repeats."""
    return tuple(dict.fromkeys(word for words in table.values() for word in words))
