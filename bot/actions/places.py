"""Where the user is, as a response choice: a municipality and an area are said differently."""
from __future__ import annotations

from typing import Dict, Text, Tuple

from knowledge.locations import Location


def location_response(base: Text, location: Location) -> Tuple[Text, Dict[Text, Text]]:
    """``utter_x_city`` with {municipality} when the user named a town, ``utter_x_area`` with {area} otherwise."""
    if location.municipality:
        return f"{base}_city", {"municipality": location.municipality, "area": location.area}
    return f"{base}_area", {"area": location.area}
