"""Personal names, with Sudachi (review/masking/sudachi.py).

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
"""
from __future__ import annotations

import re
import unicodedata
from typing import List, NamedTuple, Optional, Sequence

from review.masking.places import is_place
from review.masking.sudachi import Tok, lookup, pos_alone, tokenize
from review.masking.text import PLACEHOLDER, Span

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


def _is_space(tok: Tok) -> bool:
    return tok.pos[0] == "空白" or tok.surface.isspace()


def _is_trade(word: str) -> bool:
    """花屋, 米屋: Sudachi reads them as surnames before さん, but they are shops."""
    if not word.endswith("屋") or word in _SURNAMES_IN_YA:
        return False
    return any(pos[1] == "普通名詞" for pos, _ in lookup(word))


def _common_with_suffix(word: str) -> bool:
    """国等, 業者達: a common word with 等/達 (Sudachi reads 国等 as a given name)."""
    return len(word) > 1 and word[-1] in "等達" and any(pos[1] == "普通名詞" for pos, _ in lookup(word[:-1]))


def _loanword(word: str) -> bool:
    """メロン, バイヤー: katakana common nouns Sudachi also lists as names (not サトウ, a name on its own, nor
    スズキ, whose common noun is 鱸)."""
    if _KATAKANA_ONLY.fullmatch(word) is None or (pos_alone(word) or ("",) * 4)[2] == "人名":
        return False
    return any(pos[1] == "普通名詞" and _KATAKANA_ONLY.fullmatch(normalized) for pos, normalized in lookup(word))


def _surname_entry(word: str) -> bool:
    return any(pos[2] == "人名" and pos[3] == "姓" for pos, _ in lookup(word))


def _common_word(word: str) -> bool:
    """A dictionary word that is never a person's name."""
    entries = lookup(word)
    return bool(entries) and not any(pos[2] == "人名" for pos, _ in entries)


def _adjacent(toks: Sequence[Tok], i: int, j: int) -> bool:
    a, b = (toks[i], toks[j]) if i < j else (toks[j], toks[i])
    return a.end == b.begin


def _is_person_pos(tok: Tok) -> bool:
    return tok.pos[0] == "名詞" and tok.pos[1] == "固有名詞" and tok.pos[2] == "人名"


def _honorific(tok: Tok) -> Optional[str]:
    """"personal" (様, さん…), "title" (社長, 先生…) or None."""
    if tok.surface in _PERSONAL_SUFFIXES and tok.pos[0] in ("接尾辞", "名詞"):
        return "personal"
    if tok.surface in _TITLES and tok.pos[0] == "名詞":
        return "title"
    return None


def _blocked(toks: Sequence[Tok], i: int, barriers: Sequence[Span]) -> bool:
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


def _classify(toks: Sequence[Tok], barriers: Sequence[Span]) -> List[_Info]:
    infos = []
    for i, tok in enumerate(toks):
        if not _is_person_pos(tok) or tok.pos[3] not in ("姓", "名", "一般") or _blocked(toks, i, barriers):
            infos.append(_Info(None, False))
            continue
        word = _nfkc(tok.surface)
        if _is_trade(word) or _loanword(word) or _KANJI_NUMBER.fullmatch(word) or _common_with_suffix(word):
            infos.append(_Info(None, False))
            continue
        place = is_place(word)
        alone = pos_alone(tok.surface)
        weak = (place or len(word) == 1 or word.isascii() or tok.oov or tok.pos[3] == "一般"
                or _HIRAGANA_ONLY.fullmatch(word) is not None or _HALFWIDTH_KANA.search(tok.surface) is not None
                # a common word that reads as a name only here (見方, 誠); a place on its own (成田) stays a name
                or alone is None or alone[2] not in ("人名", "地名"))
        infos.append(_Info("weak" if weak else "strong", place))
    return infos


def _next_word(toks: Sequence[Tok], i: int) -> Optional[int]:
    """Index of the token after ``i``, past at most one space; None if there is none."""
    j = i + 1
    if j < len(toks) and _is_space(toks[j]) and len(toks[j].surface) == 1:
        j += 1
    return j if j < len(toks) else None


def _self_introduction(toks: Sequence[Tok], i: int) -> bool:
    """〇〇と申します, 〇〇といいます (not 「5万円という見積もり」)."""
    if i + 2 >= len(toks) or toks[i + 1].surface != "と":
        return False
    verb = toks[i + 2].surface
    return verb in ("申し", "申す", "申します") or (
        verb in ("言い", "いい") and i + 3 < len(toks) and toks[i + 3].surface.startswith("ます"))


def _introduced(toks: Sequence[Tok], i: int, barriers: Sequence[Span]) -> bool:
    """A surname that is also a common word, before と申します: 森と申します, さとうと申します."""
    tok = toks[i]
    if tok.pos[0] != "名詞" or tok.pos[1] not in ("普通名詞", "固有名詞") or tok.pos[2] == "地名":
        return False
    word = _nfkc(tok.surface)
    kana = _HIRAGANA_ONLY.fullmatch(word) or _KATAKANA_ONLY.fullmatch(word)
    return bool((len(word) == 1 and _KANJI_ONLY.fullmatch(word)) or (kana and 2 <= len(word) <= 6)) \
        and not _blocked(toks, i, barriers)


def _chain_member(tok: Tok, info: _Info, personal: bool) -> bool:
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


def _kanji_run_before(toks: Sequence[Tok], h: int, barriers: Sequence[Span]) -> List[int]:
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


def _hiragana_run_before(text: str, toks: Sequence[Tok], h: int, barriers: Sequence[Span]) -> Optional[Span]:
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
    entries = lookup(word)
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


def name_spans(text: str) -> List[Span]:
    barriers = [m.span() for m in PLACEHOLDER.finditer(text)] + [m.span() for m in _PROTECTED.finditer(text)]
    toks = tokenize(text)
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
                following.surface in _BUSINESS_WORDS and not is_place(word))):
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
