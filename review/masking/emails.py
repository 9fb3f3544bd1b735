"""E-mail addresses: ``local@domain.tld`` in ASCII or full-width letters, with ＠ or @.

Found on the folded text (review/masking/text.py), so full-width addresses are found as ASCII ones.
"""
from __future__ import annotations

import re
from typing import List

from review.masking.text import Span

# A match starts only where a run of address characters starts, and the runs are possessive: linear time.
_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]++@[A-Za-z0-9\-]++(?:\.[A-Za-z0-9\-]++)+")


def email_spans(folded: str) -> List[Span]:
    """Where the e-mail addresses of ``folded`` (a folded text) are."""
    return [m.span() for m in _EMAIL_RE.finditer(folded)]
