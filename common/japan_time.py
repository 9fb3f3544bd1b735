"""Japan's time zone, the one home of it: desks' hours, staffed hours, the handover contract and the review page's
days are all Japan time (UTC+9 all year, no summer time). Here in common/ so that every layer, the channels
included, can use the same zone.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
