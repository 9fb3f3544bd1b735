"""Mask personal data in what users typed before it goes into the review log.

``mask(text)`` returns the text with

* phone numbers replaced by ``[電話番号]`` (review/masking/phones.py),
* e-mail addresses replaced by ``[メール]`` (review/masking/emails.py),
* personal names replaced by ``[氏名]`` (review/masking/names.py; an honorific after the name stays:
  ``[氏名]様``, ``[氏名]部長``).

``mask_contacts(text)`` does the first two only (regular expressions: no dictionary, no length cap).

The result is the text as typed, not an NFKC-normalised copy: detection runs on a per-character NFKC fold
of the same length (review/masking/text.py), so every match maps back onto the original characters and only
the masked spans change. Placeholders are never masked again, so ``mask(mask(x)) == mask(x)``.

Aomori's place names, which a surname may share (八戸, 平川), come from the knowledge store
(review/masking/places.py); while it cannot be read, masking masks more, never less.

Cost: the regular expressions are linear; text longer than ``MAX_CHARS`` (placeholders counting one character
each) is cut first (review/masking/length.py); the Sudachi dictionary is opened once per process
(review/masking/sudachi.py).
"""
from __future__ import annotations

from typing import List, Tuple

from common.settings import KEPT_MESSAGE_CHARS
from review.masking.emails import email_spans
from review.masking.length import cap
from review.masking.names import name_spans
from review.masking.phones import phone_spans
from review.masking.text import EMAIL, NAME, PHONE, Span, fold, replace_spans

__all__ = ["EMAIL", "MAX_CHARS", "NAME", "PHONE", "contacts_in", "mask", "mask_contacts"]

# Characters of text (placeholders counting one) looked at; the rest is dropped.
MAX_CHARS = KEPT_MESSAGE_CHARS  # what Rasa keeps of a message (common/settings.py): the review log's text


def _contact_spans(text: str) -> Tuple[List[Span], List[Span]]:
    folded = fold(text)
    emails = email_spans(folded)
    if emails:  # digits inside an address are not a phone number
        chars = list(folded)
        for a, b in emails:
            chars[a:b] = "\x00" * (b - a)
        folded = "".join(chars)
    return emails, phone_spans(folded)


def contacts_in(text: str) -> List[str]:
    """The phone numbers and e-mail addresses in ``text``, as written, in order: what a call-back request is
    reached by (the same detectors that mask them, so what is masked and what is read agree)."""
    if not text:
        return []
    emails, phones = _contact_spans(text)
    return [text[a:b] for a, b in sorted(emails + phones)]


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


def mask(text: str, *, max_chars: int = MAX_CHARS) -> str:
    """The text with phone numbers, e-mail addresses and personal names replaced by placeholders.

    Text beyond ``max_chars`` characters is dropped and replaced by ``…[以下N文字省略]``.
    """
    if not text:
        return ""
    text, tail = cap(text, max_chars)
    text = mask_contacts(text)
    return replace_spans(text, name_spans(text), NAME) + tail
