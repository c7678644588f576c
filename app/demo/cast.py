"""Who is in the demo: its organisations (real council codes and names, no real people or
records), its people (the sign-ins `rhi demo seed` prints), the partner systems that call the
API, and the places the children live and are found (outward postcodes only)."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "demo.rhi.invalid"
PROVIDER: Final = "avon-rhi"
POLICE: Final = "avon-police"
# The authorities that commission the return service, and the share of the demo's episodes
# that are their own children's: Bristol's year is the one the demo's analyst reports on,
# South Gloucestershire's placement team sees its children placed away; the rest are children
# of the neighbouring authorities placed in one of the two.
COMMISSIONERS: Final = {"801": 0.82, "803": 0.09}
PLACED_HERE: Final = 0.09
NEIGHBOURS: Final = ("800", "802", "916", "865")
# Where the police who notify the demo's episodes work: children placed beyond it are notified
# by their own authority's system instead.
POLICE_AREA: Final = frozenset({"801", "803", "800", "802"})

ORGANISATIONS: Final = (
    ("803", "South Gloucestershire Council", "local_authority"),
    ("801", "Bristol City Council", "local_authority"),
    (PROVIDER, "Avon Return Interview Service", "rhi_provider"),
    (POLICE, "Avon and Somerset Police (synthetic)", "police"),
    ("800", "Bath and North East Somerset Council", "local_authority"),
    ("802", "North Somerset Council", "local_authority"),
    ("916", "Gloucestershire County Council", "local_authority"),
    ("865", "Wiltshire Council", "local_authority"),
)
# (role, name, organisation): each signs in as role@DOMAIN.
USERS: Final = (
    ("interviewer", "Demo Interviewer", PROVIDER),
    ("placement_team", "Demo Placement Team", "803"),
    ("manager", "Demo Manager", PROVIDER),
    ("analyst", "Demo Analyst", "801"),
    ("admin", "Demo Admin", PROVIDER),
)
# The partner systems' API keys (their secrets are never shown: nobody outside the demo
# calls with them): (organisation, name, scopes).
SYSTEMS: Final = (
    (POLICE, "Missing persons unit (synthetic)", ("notify",)),
    *((code, "Children's social care case system (synthetic)", ("notify",))
      for code, _, kind in ORGANISATIONS if kind == "local_authority"),
    (PROVIDER, "Case management system (synthetic)", ("submit",)),
)

# Outward postcodes (districts) of each authority: where its children live and are found.
DISTRICTS: Final = {
    "801": ("BS1", "BS2", "BS3", "BS4", "BS5", "BS7", "BS11", "BS13", "BS14"),
    "803": ("BS15", "BS16", "BS30", "BS32", "BS34", "BS35", "BS36", "BS37"),
    "800": ("BA1", "BA2", "BA3", "BS31"),
    "802": ("BS20", "BS21", "BS22", "BS23", "BS48"),
    "916": ("GL1", "GL2", "GL4", "GL50", "GL51"),
    "865": ("SN14", "SN15", "SP1", "BA12", "BA14"),
}
# Where children drawn into county lines are found: far from home.
COUNTY_LINES_DISTRICTS: Final = ("SW9", "E8", "B11", "CF24", "EX4", "TA1", "PL4")
# The second half of a postcode: synthetic, so no address is meant.
INWARD: Final = ("1AA", "2AB", "3BD", "4DE", "5EF", "6FG", "7GH", "8HJ", "9JL")
