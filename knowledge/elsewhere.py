"""Where the business is: in the prefecture, in another one, or moving here.

The guide's programs serve businesses in Aomori Prefecture (most targets say 県内 outright). A firm that says it is
in another prefecture (「秋田で居酒屋をやっています」「盛岡の会社ですが」) is told so instead of being given an Aomori
desk as if it applied; someone moving here to start a business (「東京から地元に戻って店を開きたい」) is what §6's
UIJ-turn consultations are for. A place named only as a market or a customer (「大阪の百貨店に売り込みたい」) says
nothing about where the business is.

The places are data (knowledge/elsewhere.yml: the other prefectures and their main cities, loaded into the store);
the words around them that tell a location from a market are below.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Pattern, Tuple

from sqlalchemy.orm import Session

from knowledge.cache import cache_key
from knowledge.locations import written_names
from knowledge.models import Setting
from knowledge.text import normalize

# What a business is or does: after a place, it says the business is there (or is being set up there).
_BUSINESS_WORDS = (r"(?:店|会社|事業|商売|営業|経営|工場|工務店|農家|農園|飲食|居酒屋|旅館|ホテル|民宿|ペンション|企業|"
                   r"法人|事業所|事務所|社長|蔵|メーカー|製造|加工|作って|作ってる|やって|やっと|営んで|営む|してます|"
                   r"しています|開業|開く|開きた|始め|創業|起業|出す予定|住んで|あります|ある|本社|商店|屋|所|室|院|館|"
                   r"業者|開発|業(?=[。、,！!？?\s]|$))")
# After the place (and its 県/市/町…, 内, 側): it is where the business is, or where it is being set up.
_LOCATED = rf"(?:で|にて|の|に)(?:[^。！？!?]{{0,16}}?){_BUSINESS_WORDS}|在住|出身じゃなく|(?:県|府|都|道)内の"
# The same, closer, for a town of Aomori in a message that names a place elsewhere: 「八戸で水産加工を」 makes it a
# business here, while 「青森の人財確保の専門家派遣って大阪の会社でも」 only asks about Aomori's programs.
_LOCATED_CLOSE = rf"(?:で|にて|の)(?:[^。！？!?、]{{0,12}}?){_BUSINESS_WORDS}"
# A self-introduction 「大阪の雑貨卸です」「福岡市で昭和から続く酒屋です」: a short noun phrase without particles, then
# です. Checked before the market words, since the business's own trade may be one of them (卸).
_INTRODUCED = r"(?:の|で)[^。！？!?、,にへをがはとも]{1,14}?(?:です|でございます|を経営|経営)"
# A town, ward or district after the prefecture or city: 「北海道北斗市の」「仙台市青葉区で」「長野県松本市の」.
_SUBPLACE = re.compile(r"(?:[一-龥ァ-ヶぁ-ん]{1,5}?(?:市|町|村|郡|区)){1,2}")
# A market or customer: selling there, not being there.
_MARKET = (r"(?:の|に|で|へ|向け|方面)[^。！？!?]{0,10}?(?:売|販売|販路|出店|進出|輸出|卸|百貨店|デパート|催事|物産展|"
           r"バイヤー|取引|市場|お客|客|商談|展示会|見本市|アンテナショップ|出展|問屋|同業|業者さん|会社さん|メーカーさん)")
# Coming here: words of moving to Aomori anywhere in the message (「東京から地元に戻って」「八戸に帰って店を」).
_MOVING = re.compile(r"戻って|戻り|戻る|帰って|帰る|帰り|帰郷|移住|移り住|[UIJ]ターン|引っ越して|引っ越す|移って")
_SUFFIX = r"(?:県|府|都|市|町|村|区)?(?:内|側)?"


@dataclass(frozen=True)
class Whereabouts:
    """``elsewhere``: the business is in ``prefecture``; ``moving_in``: someone coming from there to Aomori."""

    kind: str
    prefecture: str
    place: str


# (database URL, data version) -> the compiled places: built once per data version, not read on every turn.
_COMPILED: Dict[Tuple[str, str], List[Tuple[str, str, Pattern[str]]]] = {}


def _patterns(db: Session) -> List[Tuple[str, str, Pattern[str]]]:
    key = cache_key(db)
    if key not in _COMPILED:
        if len(_COMPILED) >= 8:  # older data versions: bounded, as the other caches of the store's contents
            _COMPILED.clear()
        row = db.get(Setting, "elsewhere")
        names = [(p["name"], name) for p in (row.value if row else []) for name in p["names"]]
        _COMPILED[key] = [(prefecture, name, re.compile(re.escape(normalize(name)) + _SUFFIX))
                          for prefecture, name in sorted(names, key=lambda item: -len(item[1]))]
    return _COMPILED[key]


def whereabouts(db: Session, text: str) -> Optional[Whereabouts]:
    """Where the business of ``text`` is, when that is outside the prefecture (or coming from there); None when the
    text names no such place as the business's own.

    A message that also names a town of Aomori (「八戸の水産加工です。岩手の同業者から…」) is about a business here
    with a partner elsewhere, unless it says the writer is moving here."""
    written = normalize(text)
    moving = _MOVING.search(written) is not None
    for prefecture, name, pattern in _patterns(db):
        for match in pattern.finditer(written):
            after = written[match.end():]
            subplace = _SUBPLACE.match(after)
            if subplace is not None and _is_business_here(after[subplace.end():]):
                after = after[subplace.end():]
            if moving and not re.match(_MARKET, after):
                return Whereabouts("moving_in", prefecture, name)
            if not _is_business_here(after):
                continue
            if _business_in_aomori(db, written):
                return None
            return Whereabouts("elsewhere", prefecture, name)
    return None


def _business_in_aomori(db: Session, written: str) -> bool:
    """Whether a town of Aomori in ``written`` is named as where the business is (「八戸の水産加工です」), not only
    as whose programs are asked about (「青森の制度を使いたい」「青森出身で」)."""
    for name, _ in written_names(db):
        # 「青森側の現場」 names a side of a border, not where the business is
        for match in re.finditer(re.escape(name) + r"(?:県|市|町|村|区)?内?(?!側)", written):
            if _is_business_here(written[match.end():], located=_LOCATED_CLOSE):
                return True
    return False


def _is_business_here(after: str, located: str = _LOCATED) -> bool:
    """Whether the words after a place say the business is there (not that it sells or buys there); ``located``:
    how far from the place the business's words may be."""
    if re.match(_INTRODUCED, after):
        return True
    if re.match(_MARKET, after):
        return False
    return re.match(located, after) is not None
