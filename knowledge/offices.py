"""The office that handles a question this assistant does not cover (knowledge/offices.yml): 「給料が払われない」 is
the labour standards office's, 「通販の解約」 the consumer centre's. Names only; the guide prints none of their
contacts, so none is given."""
from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from knowledge.models import Setting
from knowledge.text import normalize


def office_for(db: Session, text: str) -> Optional[str]:
    """The name of the office whose words ``text`` uses (the first in the file), or None."""
    row = db.get(Setting, "offices")
    written = normalize(text)
    for office in row.value if row else []:
        if any(normalize(word) in written for word in office["words"]):
            return office["name"]
    return None
