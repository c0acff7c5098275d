"""Messages read without the matcher: emoji alone, and a cry for help with nothing else.

"😭😭🙏" or "help!" says that someone needs something, not what: they get the emergency number,
the menu and a person. A thanks or greeting emoji alone gets the social reply. Anything with
more words goes to the matcher. `is_urgent` tells whether a message says "now".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from bot.core.decision import Action
from bot.core.normalize import normalize

_GREETING_EMOJI: Final = frozenset("👋🙋")
_THANKS_EMOJI: Final = frozenset("🙏👍❤💙💚🤝😊")
#: Distress outweighs any thanks emoji beside it: "😭😭🙏" is a plea, not thanks.
_DISTRESS_EMOJI: Final = frozenset("😭😢😰😱😨😥😓😞😔😩😫💔🆘😿🥺")

#: "Help" alone, per language.
_HELP: Final = {
    "en": "help, help me, help please, please help, please help me, sos, i need help",
    "fr": "aide, aidez-moi, aide-moi, au secours, à l'aide, aide svp, besoin d'aide",
    "nl": "help, help mij, help me aub, hulp, hulp aub, ik heb hulp nodig, help aub",
    "es": "ayuda, ayúdame, ayúdenme, socorro, ayuda por favor, necesito ayuda",
    "it": "aiuto, aiutami, aiutatemi, aiuto per favore, ho bisogno di aiuto",
    "el": "βοήθεια, βοηθήστε με, βοήθησέ με, βοήθεια παρακαλώ, χρειάζομαι βοήθεια",
    "lv": "palīdzība, palīgā, palīdziet, palīdzi, vajag palīdzību, lūdzu palīdziet",
    "ar": "مساعدة, ساعدوني, ساعدني, النجدة, الحقوني, بدي مساعدة, محتاج مساعدة",
    "uk": "допомога, допоможіть, допоможи, рятуйте, потрібна допомога",
    "ru": "помощь, помогите, помоги, спасите, нужна помощь, помогите пожалуйста",
    "fa": "کمک, کمکم کنید, کمک کنید, کمکم کن, کمک لازم دارم, کمک میخوام",
    "tr": "yardım, yardım edin, yardım et, imdat, yardım lütfen, yardıma ihtiyacım var",
}
#: "Now", per language: violence told as happening now is an emergency, not a service to visit.
_NOW: Final = {
    "en": "now, right now, immediately, at this moment",
    "fr": "maintenant, en ce moment, tout de suite",
    "nl": "nu, op dit moment, nu meteen",
    "es": "ahora, ahora mismo, en este momento",
    "it": "adesso, in questo momento, proprio ora",
    "el": "τώρα, αυτή τη στιγμή",
    "lv": "tagad, šobrīd, pašlaik",
    "ar": "الآن, هلق, هلأ, دابا, دلوقتي, حاليا",
    "uk": "зараз, прямо зараз, в цю хвилину",
    "ru": "сейчас, прямо сейчас, в эту минуту",
    "fa": "الان, همین الان, همین حالا",
    "tr": "şimdi, şu an, şu anda",
}


def _phrases(per_language: dict[str, str]) -> Iterable[str]:
    for phrases in per_language.values():
        yield from (normalize(p) for p in phrases.split(", "))


HELP_PHRASES: Final = frozenset(_phrases(_HELP))
_NOW_PHRASES: Final = tuple(f" {p} " for p in frozenset(_phrases(_NOW)))


def read_alone(text: str, words: int) -> Action | None:
    """The action for a message the matcher need not read, or None to let it decide."""
    symbols = {ch for ch in text if not ch.isspace()}
    if symbols & _DISTRESS_EMOJI and words <= 1:
        return Action.HELP
    if not words and symbols:
        if symbols & _THANKS_EMOJI:
            return Action.THANKS
        if symbols & _GREETING_EMOJI:
            return Action.GREETING
    if words and normalize(text) in HELP_PHRASES:
        return Action.HELP
    return None


def is_urgent(text: str) -> bool:
    """Whether the message says that something is happening now."""
    padded = f" {normalize(text)} "
    return any(phrase in padded for phrase in _NOW_PHRASES)
