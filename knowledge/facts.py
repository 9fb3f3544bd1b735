"""Labelled lines of facts from the store (「電話：…」「・会場名（住所）」): the one home of their format.

Every face shows a desk's phone with its note, its hours and a place line the same way: the assistant's
replies (bot/actions), the staff console's record and summary (console/records.py) and the reply cards.
Guide text is never spliced into a sentence: it is shown whole after a label, or as a list line.
Sentences around these lines live in domain.yml.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Iterable, List, Optional

from knowledge.models import Contact, Desk, Place

WEEKDAYS = "月火水木金土日"
# Guide text that points to a list printed after it in the guide (「次の窓口…」「以下の中小企業者…」).
POINTING = re.compile(r"以下の|下記の|次の(?!受付|開始|日|回|方|月|年|週|営業|機会)")


def phone_text(phone: str, note: Optional[str] = None, extension: Optional[str] = None) -> str:
    """「017-734-9418」, with the guide's note or 内線 as written: the one formatter of a phone number."""
    return phone + (note or "") + (f"（内線{extension}）" if extension else "")


def desk_phone(desk: Desk) -> str:
    """A desk's phone with the guide's note, as every reply that names the desk gives it."""
    return phone_text(desk.phone, desk.phone_note) if desk.phone else ""


def desk_lines(desk: Desk) -> List[str]:
    """A desk's contacts, one labelled line each, as the guide gives them."""
    lines = []
    if desk.phone:
        lines.append(f"電話：{desk_phone(desk)}")
    if desk.fax:
        lines.append(f"FAX：{desk.fax}")
    if desk.email:
        lines.append(f"メール：{desk.email}")
    if desk.hours_text:
        lines.append(f"受付：{desk.hours_text}")
    return lines


def contacts(desk: Desk) -> str:
    return "\n".join(desk_lines(desk))


def contact_line(contact: Contact) -> str:
    """「黒石市商工観光課 電話：0172-52-2111（内線641） FAX：…」: one person or office to call at a place."""
    parts = [contact.name]
    if contact.phone:
        parts.append(f"電話：{phone_text(contact.phone, extension=contact.extension)}")
    if contact.fax:
        parts.append(f"FAX：{contact.fax}")
    return " ".join(parts)


def place_line(place: Place) -> str:
    """「・黒石市創業相談ルーム（黒石市…） 電話：0172-52-2111（内線641）」"""
    contact = next((c for c in place.contacts if c.phone), None)
    phone = f" 電話：{phone_text(contact.phone, extension=contact.extension)}" if contact else ""
    return f"・{place.name}" + (f"（{place.address}）" if place.address else "") + phone


def place_lines(places: Iterable[Place]) -> str:
    return "\n".join(place_line(place) for place in places)


def bullet_lines(items: Iterable[str]) -> str:
    return "\n".join(f"・{item}" for item in items)


def moment_text(moment: datetime) -> str:
    """「12月1日（月）8時30分」"""
    return f"{moment.month}月{moment.day}日（{WEEKDAYS[moment.weekday()]}）{moment.hour}時{moment.minute:02d}分"


def points_to_a_list(text: str) -> bool:
    """Whether guide text refers to a list it does not itself contain (the caller shows the list)."""
    return bool(POINTING.search(text)) and "\n" not in text
