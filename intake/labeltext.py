"""Reading a label's text: names compared despite OCR noise, and links or contacts found (pure)."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from intake.defects import DefectCode

# --- names -------------------------------------------------------------------------------------

# Letters that no accent-stripping turns into ASCII.
_LETTERS = str.maketrans({"đ": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"})
# OCR confusions inside a name (a name has no digits): each group becomes one character.
_OCR = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "!": "l", "5": "s", "8": "b",
                      "2": "z", "6": "g", "3": "e", "4": "a", "7": "t"})  # fmt: skip
_OCR_PAIRS = (("rn", "m"), ("vv", "w"))


def _without_marks(text: str, *, drop_marked: int) -> str:
    """Accents stripped; letters carrying `drop_marked` or more marks dropped whole (0: none)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS):
        parts = unicodedata.normalize("NFD", ch)
        marks = sum(unicodedata.combining(p) > 0 for p in parts)
        if drop_marked and marks >= drop_marked:
            continue
        out.append("".join(p for p in parts if not unicodedata.combining(p)))
    return "".join(out)


def _key(text: str, *, sort_tokens: bool = False) -> str:
    """A name with only its letters, OCR look-alikes unified; tokens sorted if asked."""
    tokens = re.findall(r"\w+", text.translate(_OCR))
    joined = "".join(sorted(tokens) if sort_tokens else tokens).replace("_", "")
    for pair, single in _OCR_PAIRS:
        joined = joined.replace(pair, single)
    return joined


def scripts(text: str) -> frozenset[str]:
    """The writing systems of a text's letters (LATIN, CJK, HANGUL, THAI...)."""
    found = set()
    for ch in text:
        if ch.isalpha():
            found.add(unicodedata.name(ch, "UNKNOWN").split()[0])
    return frozenset(found)


def name_similarity(read: str, expected: str) -> float | None:
    """How alike two names are, 0..1, tolerant of OCR noise; None if their scripts differ."""
    if not scripts(read) & scripts(expected):
        return None  # 张伟 against ZHANG WEI: no way to tell by letters
    best = 0.0
    got = _without_marks(read, drop_marked=0)
    # RapidOCR drops Vietnamese letters with stacked diacritics (ặ, ố, ấ): "Đặng" reads "Đng".
    for drop in (0, 2, 1):
        want = _without_marks(expected, drop_marked=drop)
        for sort_tokens in (False, True):
            a, b = _key(got, sort_tokens=sort_tokens), _key(want, sort_tokens=sort_tokens)
            if a and b:
                best = max(best, SequenceMatcher(None, a, b).ratio())
    return best


def contains_name(lines: Iterable[str], expected: str, threshold: float) -> str | None:
    """The first line that holds the name (alone or among other words), if any."""
    for line in lines:
        similarity = name_similarity(line, expected)
        if similarity is not None and similarity >= threshold:
            return line
        words = line.split()
        size = max(len(expected.split()), 1)
        for start in range(max(len(words) - size + 1, 0)):
            part = " ".join(words[start : start + size])
            similarity = name_similarity(part, expected)
            if similarity is not None and similarity >= threshold:
                return line
    return None


# --- links and contacts ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """A link or contact detail found in a text, and whether it is only a hint."""

    code: DefectCode  # forbidden_link or forbidden_contact
    match: str
    weak: bool = False


_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_SCHEME_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Bare domains need a known top-level domain: "No.5" or "Co.,Ltd" are no links.
_TLD = (
    r"com|net|org|info|biz|shop|store|online|site|top|xyz|app|link|io|me|ly|gl|cc|tv|ai|us|cn|vn"
    r"|sg|ph|th|my|id|jp|kr|uk|de|fr|tk|club|vip|live|co"
)
_BARE_URL = re.compile(
    rf"(?<![\w@.])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLD})(?![\w-])(?:/\S*)?",
    re.IGNORECASE,
)
# Chat apps whose very name on a label invites the buyer elsewhere ("扫码加微信").
_CHAT_NAMES = re.compile(
    r"(?:whats\s?app|we\s?chat|weixin|微信|v信|telegram|电报|zalo|viber|kakao\s?talk|skype|line\s?id)"
    r"(?:\s*(?:id|号|账号))?(?:\s*[:：]\s*@?[\w.\-]{3,}|\s+@[\w.\-]{3,})?",
    re.IGNORECASE,
)
# Short or common words that are chat apps only when an account follows ("QQ: 123456").
_CHAT_TAGS = re.compile(
    r"\b(?:line|qq|vx|wx|tg|wa|signal|messenger|ig|instagram|facebook|fb)\s*[:：]\s*@?[\w.\-]{3,}",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_]{3,}")
# Masked numbers (138****5678), as on domestic waybills: they reach no one and never count.
_MASKED = re.compile(r"\+?\d[\d \-]{0,6}[*＊xX×•●]{2,}[\d \-]{0,6}\d")
_NUMBER_RUN = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d()\- .]*\d(?!\w)")
_PHONE_WORDS = re.compile(
    r"\b(?:tel|phone|mobile|mob|call|hp|sdt|sđt|cell|fax|hotline|contact)\b"
    r"|电话|手机|联系|热线|客服|điện thoại",
    re.IGNORECASE,
)
_US_STYLE = re.compile(r"\(?\d{3}\)?[ .\-]\d{3}[ .\-]\d{4}")


# OCR drops the space between a Chinese caption and a number ("联系电话13812345678"); Chinese
# characters count as word characters for \b and look-behinds, so the number must stand apart.
_CJK_THEN_NUMBER = re.compile(r"(?<=[\u2e80-\u9fff\uf900-\ufaff])(?=[+\d])")


def prepared(text: str) -> str:
    """Full-width forms unified (＠, ：, ．), ideographic full stops read as dots, and a number
    set apart from the Chinese caption before it."""
    text = unicodedata.normalize("NFKC", text).replace("。", ".")
    return _CJK_THEN_NUMBER.sub(" ", text)


def has_chat_context(lines: Iterable[str]) -> bool:
    """Whether any line names a chat app: then a lone @handle is an account on it."""
    return any(_CHAT_NAMES.search(line) or _CHAT_TAGS.search(line) for line in lines)


def find_forbidden(
    text: str,
    *,
    allowed: Iterable[str] = (),
    chat_context: bool = False,
    numbers_as_phones: bool = True,
) -> list[Finding]:
    """Links and contact details in one text; digits of `allowed` codes are never phones."""
    text = _MASKED.sub(" ", prepared(text))
    findings: list[Finding] = []
    # Each match is blanked out so that its parts are not found again (an e-mail's domain).
    for pattern, code in ((_EMAIL, DefectCode.forbidden_contact),
                          (_SCHEME_URL, DefectCode.forbidden_link),
                          (_BARE_URL, DefectCode.forbidden_link),
                          (_CHAT_TAGS, DefectCode.forbidden_contact),
                          (_CHAT_NAMES, DefectCode.forbidden_contact)):  # fmt: skip
        text = _take(pattern, text, code, findings)
    for match in _HANDLE.finditer(text):
        # A lone @handle is an account only where a chat app is named; else a person looks.
        handle = Finding(DefectCode.forbidden_contact, match.group(0), weak=not chat_context)
        findings.append(handle)
    if numbers_as_phones:
        findings.extend(_phones(text, frozenset(re.sub(r"\D", "", a) for a in allowed)))
    return findings


def _take(pattern: re.Pattern[str], text: str, code: DefectCode, out: list[Finding]) -> str:
    for match in pattern.finditer(text):
        out.append(Finding(code, match.group(0).rstrip(".,;)")))
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _phones(text: str, allowed_digits: frozenset[str]) -> list[Finding]:
    found = []
    for match in _NUMBER_RUN.finditer(text):
        run = match.group(0).strip()
        digits = re.sub(r"\D", "", run)
        if any(digits in code for code in allowed_digits if code):
            continue
        context = _PHONE_WORDS.search(text[: match.start()]) is not None
        if is_phone_number(run, digits, after_phone_word=context):
            found.append(Finding(DefectCode.forbidden_contact, run))
    return found


def is_phone_number(run: str, digits: str, *, after_phone_word: bool = False) -> bool:
    """Whether a run of digits (with its separators) is a telephone number."""
    if run.startswith("+"):
        return 8 <= len(digits) <= 15
    if digits.startswith("00") and 10 <= len(digits) <= 15:
        return True  # the international prefix dialled from most countries
    if re.fullmatch(r"(?:86)?1[3-9]\d{9}", digits):
        return True  # a Chinese mobile
    if re.fullmatch(r"0\d{8,11}", digits):
        return True  # a national number with its trunk prefix (VN, TH, MY, PH, ID, GB...)
    if _US_STYLE.fullmatch(run):
        return True
    return after_phone_word and 7 <= len(digits) <= 15
