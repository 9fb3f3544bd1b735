"""Mask personal data in what users typed before it goes into the review log.

``mask(text)`` returns the text with

* phone numbers replaced by ``[電話番号]``,
* e-mail addresses replaced by ``[メール]``,
* personal names replaced by ``[氏名]`` (an honorific after the name stays: ``[氏名]様``, ``[氏名]部長``).

``mask_contacts(text)`` does the first two only (regular expressions: no dictionary, no length cap).

The result is the text as typed, not an NFKC-normalised copy: detection runs on a per-character NFKC fold
of the same length (full-width digits, letters, ＠, －, （ ） and the ideographic space become ASCII), so
every match maps back onto the original characters and only the masked spans change. Placeholders are
never masked again, so ``mask(mask(x)) == mask(x)``.

Phone numbers
    Japanese numbers as owners type them: 10 or 11 digits starting with 0 (not 00), or ``+81`` followed by
    the number without its leading 0 (``+81-90-…``, ``+81 (0)17-…``). Digits may be full-width; groups may
    be separated by hyphens of any kind (- － ‐ – — ― − ー ─), dots, spaces or parentheses
    (``017(734)9418``, ``（017）734-9418``), or not at all (``0177349418``). Grouped numbers must look like
    phone numbers (area code 2-5 digits, exchange 1-4, subscriber 4, or 3 after 0120/0570/0180/0990), and
    numbers whose separators agree are preferred, so a postal code in front of a number is not swallowed.
    Not masked: amounts (300万円, 1,000,000円), counts (従業員450人), years, percentages, dates, times and
    postal codes. A postal code (〒030-0801) stays: it names an area of hundreds of households, not a
    person, and the area helps staff judge a miss. Street addresses are not masked either, and numbers in
    kanji (〇一七…) or without the area code (734-9418) are not recognised.

E-mail addresses
    ``local@domain.tld`` in ASCII or full-width letters, with ＠ or @.

Personal names
    Sudachi (split mode C) tags surnames and given names ``名詞,固有名詞,人名,姓/名``; those tokens are
    masked, and a full name, with or without a space (山田太郎, 山田 太郎, 工藤 誠), becomes one ``[氏名]``.
    Where that tag is unreliable a token is masked only with support from its context: an honorific right
    after it (様 さま さん 君 くん ちゃん 殿 氏, or a title: 社長 専務 部長 課長 先生 代表…), ``と申します``
    after it, or a surely-masked name next to it. That applies to

    * hiragana-only and one-character tokens (ひろさき splits into ひろ/さき, both tagged 人名);
    * words that read as a name only in this sentence (見方, 誠 on their own are common nouns), and
      ``人名,一般`` entries (foreign first names, famous people);
    * Aomori's municipalities, districts and their readings (八戸, 三沢, 平川…, also surnames):
      「八戸で開業」 stays, 「八戸さん」 and 「八戸と申します」 are people. A title does not make a place a
      person (八戸支店長);
    * ASCII words (Sudachi tags "phone" as a name): ``Tanakaさん`` is masked, "phone" is not.

    Before an honorific, names Sudachi does not know are found too: unknown words (ラクシュミさん,
    蓜島さん), variant kanji (髙橋, 山﨑, 𠮷田 are read as 高橋, 山崎, 吉田), romanised names (yamada様), a
    run of single kanji (鰐嵐さん), a standalone hiragana word that is no dictionary word (ふじこ様), and a
    word Sudachi reads as a place that the dictionary also lists as a surname (十和田の鳴海様; also before
    と申します). Never masked: places tagged 地名 (弘前, 青森県, むつ市), company types (株式会社),
    organisations and desks (ジェトロさん, ジェトロ青森さん, 信金さん, よろず支援拠点), katakana loanwords
    (スタッフさん, バイヤーさん, メロン), trades (花屋さん: a word in 屋 that is also a common noun), Sudachi's
    mis-splits of a common word (税理士 → 税/理士), kanji numbers (八十), words with 等/達 (国等), words of
    the region (佞武多) and ordinary words (お客さん, 皆さん, お疲れ様, 様式, 5万円という). Known gaps: a
    surname read as a place with no honorific or と申します after it (「りんご農家の成田です」), hiragana
    names Sudachi splits into particles (ののかさん), katakana names that are also loanwords, and
    occasional over-masking where Sudachi tags an unknown word 人名 (瓶内二次発酵).

    Business names are not masked as such, but a surname inside one is: 「山田商店」「株式会社葛西商店」 →
    「[氏名]商店」 (a surname right before 商店, 工業, 建設, 水産, 農園…; an Aomori place is not a surname
    there: 八戸水産 stays). A shop named after its owner names the owner, and the trade word that stays
    is what staff need.

Cost
    Regular expressions are linear (possessive quantifiers; a match starts only where a run starts).
    Text longer than ``MAX_CHARS`` (placeholders count one character each) is cut at a space or a
    punctuation mark near the limit and ends in ``…[以下N文字省略]``; masking the result again leaves it
    as it is. The input guard refuses far shorter messages anyway (bot/limits.py). The Sudachi dictionary
    and tokenizer are created on first use, once per process, behind a lock that also serialises their use
    (one tokenizer object is not meant to run in two threads at once); a chat turn takes well under a
    millisecond once the dictionary is open.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import List, NamedTuple, Optional, Sequence, Tuple

from common.settings import KEPT_MESSAGE_CHARS

__all__ = ["EMAIL", "MAX_CHARS", "NAME", "PHONE", "mask", "mask_contacts"]

PHONE = "[電話番号]"
EMAIL = "[メール]"
NAME = "[氏名]"
PLACEHOLDERS = (PHONE, EMAIL, NAME)

# Characters of text (placeholders counting one) looked at; the rest is dropped.
MAX_CHARS = KEPT_MESSAGE_CHARS  # what Rasa keeps of a message (common/settings.py): the review log's text
MUNICIPALITIES = Path(__file__).resolve().parents[1] / "knowledge" / "municipalities.yml"

Span = Tuple[int, int]

_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))
_OMITTED = re.compile(r"…\[以下\d+文字省略\]\Z")

# ---------------------------------------------------------------------------------------------------------
# Folding: per-character NFKC, same length as the input
# ---------------------------------------------------------------------------------------------------------

_FOLD: dict = {}


def _fold(text: str) -> str:
    """NFKC per character where that gives one character (０→0, ＠→@, （→(, U+3000→space), else unchanged."""
    if text.isascii():
        return text
    table = {}
    for ch in set(text):
        folded = _FOLD.get(ch)
        if folded is None:
            folded = unicodedata.normalize("NFKC", ch)
            if len(folded) != 1:
                folded = ch
            _FOLD[ch] = folded
        if folded != ch:
            table[ord(ch)] = folded
    return text.translate(table) if table else text


def _replace(text: str, spans: Sequence[Span], placeholder: str) -> str:
    if not spans:
        return text
    out, pos = [], 0
    for start, end in sorted(spans):
        out.append(text[pos:start])
        out.append(placeholder)
        pos = end
    out.append(text[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
# E-mail addresses and phone numbers
# ---------------------------------------------------------------------------------------------------------

# A match starts only where a run of address characters starts, and the runs are possessive: linear time.
_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]++@[A-Za-z0-9\-]++(?:\.[A-Za-z0-9\-]++)+")

_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\u2500\u2501"  # - ‐ ‑ ‒ – — ― − ー ─ ━
# A run of digit groups joined by at most four separator characters; split into phone numbers afterwards.
_DIGIT_RUN = re.compile(rf"(?<![0-9])(?:\+[ \t]?)?[0-9]++(?:[ \t.(){_DASHES}]{{1,4}}[0-9]++)*+")
_DIGITS = re.compile(r"[0-9]+")
_SHORT_SUBSCRIBER = ("0120", "0570", "0180", "0990")  # 0120-123-456


def _separator_kind(sep: str) -> str:
    if "(" in sep or ")" in sep:
        return "paren"  # (017)734-9418, 017(734)9418
    if sep.strip(" \t.") != "":
        return "dash"
    return "dot" if "." in sep else "space"


def _one_number(seps: Sequence[str]) -> bool:
    """Separators that agree (017-734-9418, 017 734 9418) make one number more likely than 039-1101 0178."""
    kinds = {_separator_kind(sep) for sep in seps} - {"paren"}
    return len(kinds) <= 1


def _phone_shape(groups: Sequence[str]) -> bool:
    digits = "".join(groups)
    if not (10 <= len(digits) <= 11 and digits[0] == "0" and digits[1] != "0"):
        return False
    if len(groups) == 1:
        return True
    if len(groups) == 2:  # 017-7349418, (017)7349418, 0177-349418
        return 2 <= len(groups[0]) <= 6 and len(groups[1]) >= 4
    first, middle, last = groups
    if not (2 <= len(first) <= 5 and 1 <= len(middle) <= 4):
        return False
    return len(last) == 4 or (len(last) == 3 and first in _SHORT_SUBSCRIBER)


def _phones_in_run(folded: str, start: int, end: int) -> List[Span]:
    groups = [m.span() for m in _DIGITS.finditer(folded, start, end)]
    digits = [folded[a:b] for a, b in groups]
    seps = [folded[groups[n][1]:groups[n + 1][0]] for n in range(len(groups) - 1)]
    found: List[Tuple[int, int, int]] = []  # (first group, last group, start of the span)
    taken = [False] * len(groups)
    if folded[start] == "+" and digits[0].startswith("81"):  # +81-90-1234-5678, +81 (0)17-734-9418
        head = [digits[0][2:]] if len(digits[0]) > 2 else []  # +819012345678
        first = 1
        if not head and first < len(digits) and digits[first] == "0":
            first += 1  # (0)
        for k in (3, 2, 1):
            need = k - len(head)
            if need < 0 or first + need > len(digits):
                continue
            national = head + digits[first:first + need]
            if not national[0].startswith("0"):
                national[0] = "0" + national[0]
            if _phone_shape(national):
                found.append((0, first + need - 1 if need else 0, start))
                break
        taken[0] = True  # the country code is never the start of a domestic number
        for a, b, _ in found:
            taken[a:b + 1] = [True] * (b + 1 - a)
    for i in range(len(groups) - 1):  # 〒039-1101 is a postal code, whatever follows it
        if len(digits[i]) == 3 and len(digits[i + 1]) == 4 and \
                folded[max(0, groups[i][0] - 2):groups[i][0]].strip().endswith("〒"):
            taken[i] = taken[i + 1] = True
    # numbers whose separators agree first (039-1101 0178-22-1234: the second is the number), then the rest
    for consistent in (True, False):
        i = 0
        while i < len(groups):
            for k in (3, 2, 1):
                if i + k <= len(groups) and not any(taken[i:i + k]) and _phone_shape(digits[i:i + k]) \
                        and (not consistent or _one_number(seps[i:i + k - 1])):
                    begin = groups[i][0]
                    # "(017)734-9418": the opening parenthesis belongs to the number
                    if k > 1 and begin > 0 and folded[begin - 1] == "(" and ")" in seps[i]:
                        begin -= 1
                    found.append((i, i + k - 1, begin))
                    taken[i:i + k] = [True] * k
                    i += k
                    break
            else:
                i += 1
    return [(begin, groups[last][1]) for _, last, begin in found]


def _contact_spans(text: str) -> Tuple[List[Span], List[Span]]:
    folded = _fold(text)
    emails = [m.span() for m in _EMAIL_RE.finditer(folded)]
    if emails:  # digits inside an address are not a phone number
        chars = list(folded)
        for a, b in emails:
            chars[a:b] = "\x00" * (b - a)
        folded = "".join(chars)
    phones: List[Span] = []
    for m in _DIGIT_RUN.finditer(folded):
        phones.extend(_phones_in_run(folded, m.start(), m.end()))
    return emails, phones


def mask_contacts(text: str) -> str:
    """Phone numbers → [電話番号], e-mail addresses → [メール]; no length cap, no dictionary."""
    if not text:
        return ""
    emails, phones = _contact_spans(text)
    if not emails and not phones:
        return text
    spans = [(a, b, EMAIL) for a, b in emails] + [(a, b, PHONE) for a, b in phones]
    out, pos = [], 0
    for a, b, placeholder in sorted(spans):
        out.append(text[pos:a])
        out.append(placeholder)
        pos = b
    out.append(text[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
# Sudachi: one dictionary and tokenizer per process
# ---------------------------------------------------------------------------------------------------------

_lock = threading.Lock()
_sudachi: Optional[tuple] = None  # (dictionary, tokenizer, split mode)
_CHUNK = 1500  # characters per Sudachi call (Sudachi refuses input above ~49 KB)


class _Tok(NamedTuple):
    surface: str
    begin: int
    end: int
    pos: Tuple[str, ...]
    oov: bool


def _sudachi_objects() -> tuple:
    global _sudachi
    if _sudachi is None:
        from sudachipy import dictionary, tokenizer

        dic = dictionary.Dictionary(dict="core")
        _sudachi = (dic, dic.create(), tokenizer.Tokenizer.SplitMode.C)
    return _sudachi


def _chunks(text: str):
    pos = 0
    while pos < len(text):
        end = min(pos + _CHUNK, len(text))
        if end < len(text):
            cut = max(text.rfind(ch, pos + _CHUNK // 2, end) for ch in "\n。！？!? ")
            if cut > 0:
                end = cut + 1
        yield pos, text[pos:end]
        pos = end


# variant kanji of surnames the dictionary lacks (髙橋, 山﨑, 𠮷田): read as the common form, one code point each
_VARIANTS = str.maketrans({"髙": "高", "﨑": "崎", "𠮷": "吉", "濵": "濱", "栁": "柳", "昻": "昂"})


_SURROGATE = re.compile("[\ud800-\udfff]")  # a lone surrogate (broken client input) cannot go to Sudachi


def _tokenize(text: str) -> List[_Tok]:
    text = _SURROGATE.sub("\ufffd", text.translate(_VARIANTS))
    toks: List[_Tok] = []
    with _lock:
        _, tokenizer, mode = _sudachi_objects()
        for offset, chunk in _chunks(text):
            for m in tokenizer.tokenize(chunk, mode):
                if m.begin() == m.end():
                    continue
                toks.append(_Tok(m.surface(), offset + m.begin(), offset + m.end(), tuple(m.part_of_speech()),
                                 m.is_oov()))
    return toks


@lru_cache(maxsize=4096)
def _entries(word: str) -> Tuple[Tuple[Tuple[str, ...], str], ...]:
    """(part of speech, normalized form) of each dictionary entry spelled exactly ``word``."""
    with _lock:
        dic = _sudachi_objects()[0]
        return tuple((tuple(m.part_of_speech()[:4]), m.normalized_form()) for m in dic.lookup(word))


@lru_cache(maxsize=4096)
def _alone(word: str) -> Optional[Tuple[str, ...]]:
    """Part of speech Sudachi gives ``word`` written on its own; None if it splits it."""
    with _lock:
        _, tokenizer, mode = _sudachi_objects()
        morphemes = tokenizer.tokenize(word, mode)
        return tuple(morphemes[0].part_of_speech()[:4]) if len(morphemes) == 1 else None


# ---------------------------------------------------------------------------------------------------------
# Personal names
# ---------------------------------------------------------------------------------------------------------

_PERSONAL_SUFFIXES = frozenset({"様", "さま", "サマ", "さん", "サン", "君", "くん", "クン", "ちゃん", "チャン", "殿",
                                "どの", "氏"})
_TITLES = frozenset({"社長", "副社長", "専務", "常務", "部長", "副部長", "課長", "係長", "次長", "室長", "所長",
                     "店長", "支店長", "工場長", "会長", "理事長", "先生", "代表", "主任", "院長", "園長", "校長",
                     "局長", "取締役", "教授", "監督"})
# after 「山田 」 a one-kanji word is a given name (山田 誠), unless it is one of these
_NOT_GIVEN = _PERSONAL_SUFFIXES | _TITLES | frozenset("宛他外達等家方組係課部店社所屋様殿氏君")

# a surname in front of these names the owner: 葛西商店 → [氏名]商店 (Sudachi may read 葛西 as a place there)
_BUSINESS_WORDS = frozenset({"商店", "商会", "商事", "工業", "建設", "水産", "農園", "果樹園", "食品", "産業", "興業",
                             "運送", "製作所", "工務店", "酒店", "酒造", "醸造", "物産", "鉄工所", "電気", "設備",
                             "印刷", "精肉店", "鮮魚店", "菓子店", "旅館", "牧場", "農場", "商店街"})
_COMPANY_TYPES = frozenset({"株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "㈱", "㈲"})

# Places owners name that Sudachi may read as surnames: Aomori's municipalities and areas come from the knowledge
# store's own map (knowledge/municipalities.yml: names, aliases, readings); the districts, old town names and
# landmarks below are not in it (and 羽田, where owners sell). They are places unless an honorific or
# と申します says otherwise. A trailing 県/市/町/村 is ignored when looking a word up.
_DISTRICTS_AND_LANDMARKS = frozenset("""
津軽 下北 東北 西海岸 浅虫 奥入瀬 八甲田 岩木 白神 十和田湖 竜飛 龍飛 恐山 小川原 三内丸山
種差 蕪島 大間崎 尻屋 仏ヶ浦 館鼻 小湊 金木 浪岡 碇ヶ関 木造 車力 市浦 小泊 蟹田 三厩 平舘 名川 南郷 倉石
百石 天間林 大畑 脇野沢 大湊 田名部 新青森 本八戸 八食 酸ヶ湯 薬研 十二湖 千畳敷 芦野 羽田
""".split())


@lru_cache(maxsize=1)
def _aomori_places() -> frozenset:
    import yaml

    data = yaml.safe_load(MUNICIPALITIES.read_text(encoding="utf-8"))
    names = set(_DISTRICTS_AND_LANDMARKS)
    for area in data["areas"]:
        names |= {area["name"], area["reading"]}
        for town in area["municipalities"]:
            names |= {town["name"], *town.get("aliases", [])}
    return frozenset(names)
# words of the region Sudachi splits into a "name" (立佞武多 → 立/佞/武多)
_PROTECTED = re.compile("佞武多|侫武多|ねぶた|ねぷた|ネブタ|ネプタ")
# surnames ending in 屋 that are also common nouns: a person, not a trade (see _is_trade)
_SURNAMES_IN_YA = frozenset({"古屋", "長屋"})

_KANJI = "\u3005\u3006\u30f6\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KANJI_ONLY = re.compile(f"[{_KANJI}]+")
_HIRAGANA_ONLY = re.compile("[\u3041-\u309f\u30fc]+")
_KATAKANA_ONLY = re.compile("[\u30a1-\u30ff\u31f0-\u31ff]+")
_HALFWIDTH_KANA = re.compile("[\uff66-\uff9f]")
_KANJI_NUMBER = re.compile("[〇一二三四五六七八九十百千万億]+")  # 八十を過ぎた母
_LETTERS_ONLY = re.compile(f"[{_KANJI}\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ffA-Za-z]+")
_ROMAN_NAME = re.compile("[A-Z]?[a-z]+")  # Yamada, yamada; not acronyms (JA, NTT)
_PARTICLES = "のはがをにへとも"
_BOUNDARY = " \t\n\u3000、。，．,.!?！？「」『』()（）[]【】・:：;；"


class _Info(NamedTuple):
    kind: Optional[str]  # "strong" (masked), "weak" (masked with support from context) or None
    place: bool  # an Aomori place name tagged as a person


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def _is_space(tok: _Tok) -> bool:
    return tok.pos[0] == "空白" or tok.surface.isspace()


def _is_place(word: str) -> bool:
    places = _aomori_places()
    return word in places or (word[-1:] in "県市町村" and word[:-1] in places)


def _is_trade(word: str) -> bool:
    """花屋, 米屋: Sudachi reads them as surnames before さん, but they are shops."""
    if not word.endswith("屋") or word in _SURNAMES_IN_YA:
        return False
    return any(pos[1] == "普通名詞" for pos, _ in _entries(word))


def _common_with_suffix(word: str) -> bool:
    """国等, 業者達: a common word with 等/達 (Sudachi reads 国等 as a given name)."""
    return len(word) > 1 and word[-1] in "等達" and any(pos[1] == "普通名詞" for pos, _ in _entries(word[:-1]))


def _loanword(word: str) -> bool:
    """メロン, バイヤー: katakana common nouns Sudachi also lists as names (not サトウ, a name on its own, nor
    スズキ, whose common noun is 鱸)."""
    if _KATAKANA_ONLY.fullmatch(word) is None or (_alone(word) or ("",) * 4)[2] == "人名":
        return False
    return any(pos[1] == "普通名詞" and _KATAKANA_ONLY.fullmatch(normalized) for pos, normalized in _entries(word))


def _surname_entry(word: str) -> bool:
    return any(pos[2] == "人名" and pos[3] == "姓" for pos, _ in _entries(word))


def _common_word(word: str) -> bool:
    """A dictionary word that is never a person's name."""
    entries = _entries(word)
    return bool(entries) and not any(pos[2] == "人名" for pos, _ in entries)


def _adjacent(toks: Sequence[_Tok], i: int, j: int) -> bool:
    a, b = (toks[i], toks[j]) if i < j else (toks[j], toks[i])
    return a.end == b.begin


def _is_person_pos(tok: _Tok) -> bool:
    return tok.pos[0] == "名詞" and tok.pos[1] == "固有名詞" and tok.pos[2] == "人名"


def _honorific(tok: _Tok) -> Optional[str]:
    """"personal" (様, さん…), "title" (社長, 先生…) or None."""
    if tok.surface in _PERSONAL_SUFFIXES and tok.pos[0] in ("接尾辞", "名詞"):
        return "personal"
    if tok.surface in _TITLES and tok.pos[0] == "名詞":
        return "title"
    return None


def _blocked(toks: Sequence[_Tok], i: int, barriers: Sequence[Span]) -> bool:
    """Never a name: inside a placeholder or a protected word, part of an address, or a mis-split word."""
    tok = toks[i]
    if any(a < tok.end and tok.begin < b for a, b in barriers):
        return True
    if i > 0 and toks[i - 1].surface in ("字", "大字") and _adjacent(toks, i - 1, i):
        return True  # 字鴨田: an address
    for j in (i - 1, i + 1):  # 税理士 read as 税 + 理士
        if 0 <= j < len(toks) and _adjacent(toks, i, j) and not _is_person_pos(toks[j]) \
                and _honorific(toks[j]) is None and not _is_space(toks[j]):
            word = toks[j].surface + tok.surface if j < i else tok.surface + toks[j].surface
            if _common_word(word):
                return True
    return False


def _classify(toks: Sequence[_Tok], barriers: Sequence[Span]) -> List[_Info]:
    infos = []
    for i, tok in enumerate(toks):
        if not _is_person_pos(tok) or tok.pos[3] not in ("姓", "名", "一般") or _blocked(toks, i, barriers):
            infos.append(_Info(None, False))
            continue
        word = _nfkc(tok.surface)
        if _is_trade(word) or _loanword(word) or _KANJI_NUMBER.fullmatch(word) or _common_with_suffix(word):
            infos.append(_Info(None, False))
            continue
        place = _is_place(word)
        alone = _alone(tok.surface)
        weak = (place or len(word) == 1 or word.isascii() or tok.oov or tok.pos[3] == "一般"
                or _HIRAGANA_ONLY.fullmatch(word) is not None or _HALFWIDTH_KANA.search(tok.surface) is not None
                # a common word that reads as a name only here (見方, 誠); a place on its own (成田) stays a name
                or alone is None or alone[2] not in ("人名", "地名"))
        infos.append(_Info("weak" if weak else "strong", place))
    return infos


def _next_word(toks: Sequence[_Tok], i: int) -> Optional[int]:
    """Index of the token after ``i``, past at most one space; None if there is none."""
    j = i + 1
    if j < len(toks) and _is_space(toks[j]) and len(toks[j].surface) == 1:
        j += 1
    return j if j < len(toks) else None


def _self_introduction(toks: Sequence[_Tok], i: int) -> bool:
    """〇〇と申します, 〇〇といいます (not 「5万円という見積もり」)."""
    if i + 2 >= len(toks) or toks[i + 1].surface != "と":
        return False
    verb = toks[i + 2].surface
    return verb in ("申し", "申す", "申します") or (
        verb in ("言い", "いい") and i + 3 < len(toks) and toks[i + 3].surface.startswith("ます"))


def _introduced(toks: Sequence[_Tok], i: int, barriers: Sequence[Span]) -> bool:
    """A surname that is also a common word, before と申します: 森と申します, さとうと申します."""
    tok = toks[i]
    if tok.pos[0] != "名詞" or tok.pos[1] not in ("普通名詞", "固有名詞") or tok.pos[2] == "地名":
        return False
    word = _nfkc(tok.surface)
    kana = _HIRAGANA_ONLY.fullmatch(word) or _KATAKANA_ONLY.fullmatch(word)
    return bool((len(word) == 1 and _KANJI_ONLY.fullmatch(word)) or (kana and 2 <= len(word) <= 6)) \
        and not _blocked(toks, i, barriers)


def _chain_member(tok: _Tok, info: _Info, personal: bool) -> bool:
    """Can ``tok`` be (part of) the name in front of an honorific?"""
    if info.kind == "strong":
        return True
    if info.kind == "weak":
        return personal or not info.place
    word = _nfkc(tok.surface)
    if tok.oov and _LETTERS_ONLY.fullmatch(word):
        return True  # ラクシュミさん, 蓜島さん
    if tok.pos[0] != "名詞" or tok.pos[2] == "地名":
        return False
    if _ROMAN_NAME.fullmatch(word) and len(word) >= 2:
        return True  # yamada様
    return tok.pos[1] == "固有名詞" and _HIRAGANA_ONLY.fullmatch(word) is not None  # あさひさん


def _kanji_run_before(toks: Sequence[_Tok], h: int, barriers: Sequence[Span]) -> List[int]:
    """鰐嵐さん: a name Sudachi splits into single kanji, or an unknown kanji word."""
    picked: List[int] = []
    j = h - 1
    while j >= 0 and len(picked) < 4 and _adjacent(toks, j, j + 1):
        tok = toks[j]
        if (tok.pos[0] != "名詞" or tok.pos[2] == "地名" or not _KANJI_ONLY.fullmatch(tok.surface)
                or not (len(tok.surface) == 1 or tok.oov) or _blocked(toks, j, barriers)):
            break
        picked.append(j)
        j -= 1
    if not picked or not (len(picked) >= 2 or any(toks[k].oov for k in picked)):
        return []
    word = "".join(toks[k].surface for k in reversed(picked))
    return [] if _common_word(word) else picked


def _hiragana_run_before(text: str, toks: Sequence[_Tok], h: int, barriers: Sequence[Span]) -> Optional[Span]:
    """ふじこ様: a standalone hiragana word in front of an honorific that the dictionary does not know."""
    end = toks[h].begin
    start = end
    while start > 0 and end - start < 12 and _HIRAGANA_ONLY.fullmatch(text[start - 1]):
        start -= 1
    if start == end:
        return None
    before = text[start - 1] if start > 0 else " "
    if before not in _BOUNDARY:
        if text[start] not in _PARTICLES or _HIRAGANA_ONLY.fullmatch(before):
            return None
        start += 1  # 担当のふじこさん: the particle belongs to the sentence
    word = text[start:end]
    if not 2 <= len(word) <= 6 or any(a < end and start < b for a, b in barriers):
        return None
    entries = _entries(word)
    if entries and not any(pos[2] == "人名" for pos, _ in entries):
        return None  # みなさん, おかげさま
    if not entries and word[0] in "おご":
        return None  # お疲れさん, ごくろうさま
    j = h - 1
    while j >= 0 and toks[j].end > start:  # words Sudachi reads inside it must be nouns (not ありがとさん)
        if toks[j].pos[0] not in ("名詞", "接尾辞", "接頭辞"):
            return None
        j -= 1
    return start, end


def _name_spans(text: str) -> List[Span]:
    barriers = [m.span() for m in _PLACEHOLDER.finditer(text)] + [m.span() for m in _PROTECTED.finditer(text)]
    toks = _tokenize(text)
    infos = _classify(toks, barriers)
    kinds = [info.kind for info in infos]

    # a weak token next to a strong one, or before と申します, is a name: 山田さとみ, 林 太郎, 森と申します
    for i in range(len(toks)):
        if _self_introduction(toks, i) and (
                kinds[i] == "weak" or (kinds[i] is None and _introduced(toks, i, barriers))):
            kinds[i] = "strong"
    changed = True
    while changed:
        changed = False
        for i in range(len(toks)):
            j = _next_word(toks, i)
            if j is None:
                continue
            pair = (kinds[i], kinds[j])
            if pair == ("strong", "weak") and not infos[j].place:
                kinds[j], changed = "strong", True
            elif pair == ("weak", "strong") and not infos[i].place:
                kinds[i], changed = "strong", True
    # a word Sudachi reads as a place here but the dictionary also knows as a surname, right before a personal
    # honorific (十和田の鳴海様), と申します (成田と申します) or a business word (葛西商店), and not the end of
    # a longer name (ジェトロ青森さん)
    for i, tok in enumerate(toks[:-1]):
        if kinds[i] is not None or tok.pos[2] != "地名" or not _adjacent(toks, i, i + 1) \
                or _blocked(toks, i, barriers):
            continue
        if i > 0 and _adjacent(toks, i - 1, i) and toks[i - 1].pos[0] in ("名詞", "接頭辞") \
                and toks[i - 1].surface not in _COMPANY_TYPES:
            continue
        word = _nfkc(tok.surface)
        following = toks[i + 1]
        if _surname_entry(word) and (_honorific(following) == "personal" or _self_introduction(toks, i) or (
                following.surface in _BUSINESS_WORDS and not _is_place(word))):
            kinds[i] = "strong"
    # 山田 誠: a one-kanji given name after a surname and a space
    for i, tok in enumerate(toks):
        if kinds[i] == "strong" and tok.pos[3] == "姓" and i + 2 < len(toks) and _is_space(toks[i + 1]) \
                and len(toks[i + 1].surface) == 1:
            given = toks[i + 2]
            if (kinds[i + 2] is None and len(given.surface) == 1 and _KANJI_ONLY.fullmatch(given.surface)
                    and given.pos[0] in ("名詞", "形状詞") and given.pos[2] != "地名"
                    and given.surface not in _NOT_GIVEN and not _blocked(toks, i + 2, barriers)):
                kinds[i + 2] = "strong"

    masked = [kind == "strong" for kind in kinds]
    extra: List[Span] = []
    for h, tok in enumerate(toks):
        honorific = _honorific(tok)
        if honorific is None or h == 0:
            continue
        personal = honorific == "personal"
        j = h - 1
        if _is_space(toks[j]) and len(toks[j].surface) == 1 and j > 0:
            j -= 1  # 山田 様
        picked: List[int] = []
        while j >= 0 and len(picked) < 4:
            if not _chain_member(toks[j], _Info(kinds[j], infos[j].place), personal) or _blocked(toks, j, barriers):
                break
            picked.append(j)
            j -= 1
            if j > 0 and _is_space(toks[j]) and len(toks[j].surface) == 1:
                j -= 1  # John Smith様, サトウ タロウ様
        if not picked and _adjacent(toks, h - 1, h):
            picked = _kanji_run_before(toks, h, barriers)
            if not picked and personal:
                span = _hiragana_run_before(text, toks, h, barriers)
                if span:
                    extra.append(span)
        for k in picked:
            masked[k] = True

    spans = sorted([(t.begin, t.end) for t, m in zip(toks, masked) if m] + extra)
    merged: List[Span] = []
    for start, end in spans:
        if merged and (start <= merged[-1][1] or (start - merged[-1][1] == 1 and text[merged[-1][1]].isspace())):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))  # 山田 太郎 → one name
        else:
            merged.append((start, end))
    return merged


# ---------------------------------------------------------------------------------------------------------
# Length cap and the entry point
# ---------------------------------------------------------------------------------------------------------


def _effective_length(text: str) -> int:
    return len(text) - sum(len(m.group()) - 1 for m in _PLACEHOLDER.finditer(text))


def _cut_index(text: str, limit: int) -> Optional[int]:
    """Index where ``limit`` characters (a placeholder counting one) are reached; None if the text is shorter."""
    seen, pos = 0, 0
    for m in _PLACEHOLDER.finditer(text):
        gap = m.start() - pos
        if seen + gap >= limit:
            return pos + (limit - seen)
        seen, pos = seen + gap + 1, m.end()
        if seen >= limit:
            return pos if pos < len(text) else None
    if seen + len(text) - pos > limit:
        return pos + (limit - seen)
    return None


def _back_off(text: str, cut: int) -> int:
    """Cut after a space or punctuation mark close to ``cut``, not inside a word or a number."""
    window = max(0, cut - 64)
    best = max(text.rfind(ch, window, cut) for ch in " \t\n\u3000、。！？!?」』）)")
    return best + 1 if best >= 0 else cut


def mask(text: str, *, max_chars: int = MAX_CHARS) -> str:
    """The text with phone numbers, e-mail addresses and personal names replaced by placeholders.

    Text beyond ``max_chars`` characters is dropped and replaced by ``…[以下N文字省略]``.
    """
    if not text:
        return ""
    tail = ""
    omitted = _OMITTED.search(text)
    if omitted and _effective_length(text[:omitted.start()]) <= max_chars:
        text, tail = text[:omitted.start()], omitted.group()  # already cut by an earlier mask()
    else:
        cut = _cut_index(text, max_chars)
        if cut is not None:
            cut = _back_off(text, cut)
            text, tail = text[:cut], f"…[以下{len(text) - cut}文字省略]"
    text = mask_contacts(text)
    return _replace(text, _name_spans(text), NAME) + tail
