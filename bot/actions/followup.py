"""Follow-up questions about the program being discussed: 「費用は？」「電話番号は？」「何時まで？」."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import (SLOT_PROGRAM, current_program, latest_intent, latest_text, render, store_session,
                                topic_programs)
from bot.actions.contract import program_buttons, programs_payload
from knowledge import query, rules
from knowledge.hours import JST
from knowledge.locations import find_location
from knowledge.models import Program
from knowledge.search import search

# intent -> (store field, how the field is called in a sentence)
FIELD_OF_INTENT = {
    "ask_cost": ("cost", "費用"), "ask_phone": ("phone", "電話番号"), "ask_fax": ("fax", "FAX番号"),
    "ask_email": ("email", "メールアドレス"), "ask_place": ("address", "所在地"), "ask_hours": ("hours", "受付時間"),
    "ask_eligibility": ("target", "対象"), "ask_limits": ("limits", "利用できる回数"),
    "ask_how_to_apply": ("how_to_apply", "利用方法"),
}
# A follow-up that names its program (「事業承継の電話番号は？」) is answered about that program when
# search ranks it first by this much over the second.
SEARCH_MIN_SCORE = 8.0
SEARCH_MIN_LEAD = 1.5


def program_named_in(db, text: str) -> Optional[Program]:
    hits = search(db, text, limit=2)
    if hits and hits[0].score >= SEARCH_MIN_SCORE and (len(hits) == 1 or hits[0].score >= SEARCH_MIN_LEAD * hits[1].score):
        return query.program(db, hits[0].section)
    return None


def all_phones(program: Program) -> str:
    """Every desk's phone with its role, the main desk first: 「017-… （担当窓口）、017-… （申込先）」."""
    if len(program.desks) == 1:
        desk = program.main_desk
        return f"{desk.phone}{desk.phone_note or ''}（{desk.name}）"
    return "、".join(f"{d.phone}{d.phone_note or ''}（{d.role}：{d.name}）" for d in program.desks if d.phone)


def place_phone(place) -> str:
    """「電話：0172-52-2111（内線641）」 for the place's first contact with a phone, or ""."""
    contact = next((c for c in place.contacts if c.phone), None)
    if contact is None:
        return ""
    return f"電話：{contact.phone}" + (f"（内線{contact.extension}）" if contact.extension else "")


def places_text(places) -> str:
    lines = []
    for place in places:
        phone = place_phone(place)
        lines.append(f"\n・{place.name}" + (f"（{place.address}）" if place.address else "") + (f" {phone}" if phone else ""))
    return "".join(lines)


def hours_answer(domain: Dict[Text, Any], db, program: Program, now: datetime) -> Optional[Text]:
    where = next(iter(query.with_hours(program)), None)
    if where is None:
        return None
    status = query.open_status(db, where, now)
    caveat = render(domain, "utter_hours_caveat", closures="、".join(status.caveats)) if status.caveats else ""
    values = dict(name=program.name, where=where.name, hours=status.hours_text, caveat=caveat)
    if status.is_open is None:
        return render(domain, "utter_hours_unknown", **values)
    if status.is_open:
        return render(domain, "utter_hours_open", **values)
    nxt = status.next_opening
    next_open = f"{nxt.month}月{nxt.day}日（{'月火水木金土日'[nxt.weekday()]}）{nxt.hour}時{nxt.minute:02d}分" if nxt else "未定"
    return render(domain, "utter_hours_closed", next_open=next_open, **values)


def field_answer(domain: Dict[Text, Any], db, program: Program, intent: Text, text: Text) -> Text:
    field, label = FIELD_OF_INTENT[intent]
    if field == "hours":
        answer = hours_answer(domain, db, program, datetime.now(JST))
        if answer:
            return answer
    if field == "address" and program.places:
        location = find_location(db, text)
        near = query.places_near(program, location).places if location else ()
        shown = near or program.places
        intro = render(domain, "utter_field", name=program.name, label="窓口・会場",
                       value="次のとおり" if not near else f"{location.label}のお近くでは次のとおり")
        return intro + places_text(shown)
    if field == "phone":
        value = all_phones(program)
    elif field == "limits" and not program.limits_text:
        limit = rules.visit_limit(db, program.section)
        value = limit.text if limit else None
    else:
        value = query.field_value(program, field)
    if not value:
        return render(domain, "utter_field_missing", name=program.name, label=label, phone=program.main_desk.phone)
    return render(domain, "utter_field", name=program.name, label=label, value=value)


class ActionAnswerField(Action):
    def name(self) -> Text:
        return "action_answer_field"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent = latest_intent(tracker)
        with store_session() as db:
            program = program_named_in(db, latest_text(tracker)) or current_program(db, tracker)
            if program is None or intent not in FIELD_OF_INTENT:
                dispatcher.utter_message(text=render(domain, "utter_ask_program_first"),
                                         buttons=program_buttons(topic_programs(db)), json_message={"programs": []})
                return []
            dispatcher.utter_message(text=field_answer(domain, db, program, intent, latest_text(tracker)),
                                     json_message=programs_payload([program]))
            return [SlotSet(SLOT_PROGRAM, str(program.section))]
