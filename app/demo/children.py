"""The demo's children: invented names, ages mostly 12 to 17, their involvement with children's
services and where they live (some placed out of area, some placed here by a neighbouring
authority), and how often they go missing: most once, a minority three times or more, a few
very often. Pure: a seeded `random.Random` in, the same children out.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, TypeVar

from app.demo import cast

Key = TypeVar("Key")

GIVEN: Final = {
    "female": ("Amber", "Chloe", "Ellie", "Grace", "Jade", "Leah", "Maisie", "Ruby", "Skye",
               "Zara", "Alex", "Sam", "Jordan", "Riley", "Casey"),
    "male": ("Callum", "Dylan", "Ethan", "Jayden", "Kai", "Leon", "Mason", "Reece", "Tyler",
             "Owen", "Morgan", "Jamie", "Taylor", "Robin", "Charlie"),
}
FAMILY: Final = ("Testington", "Sampleford", "Demoson", "Exampleby", "Fictional", "Madeup",
                 "Placeholder", "Mockridge", "Dummyfield", "Pretendale", "Fauxley",
                 "Inventon", "Notreal", "Specimen", "Trialby")
ETHNICITY: Final = {
    "wbri": 68, "woth": 5, "wirt": 1, "wrom": 1, "mwbc": 5, "mwba": 1, "mwas": 1, "moth": 3,
    "aind": 1, "apkn": 2, "aoth": 1, "bcrb": 2, "bafr": 4, "both": 1, "chne": 0.5,
    "ooth": 1.5, "refu": 0.5, "nobt": 1.5,
}
# How often a child goes missing in the two years: (pattern, share of children, episodes).
PATTERNS: Final = (("once", 0.56, (1, 1)), ("twice", 0.21, (2, 2)), ("repeat", 0.16, (3, 7)),
                   ("frequent", 0.07, (8, 25)))
# Involvement with children's services, by pattern: the more often, the likelier in care.
LEGAL_STATUS: Final = {
    "once": {"looked_after": 28, "child_in_need": 18, "child_protection_plan": 10,
             "early_help": 12, "care_leaver": 3, "none": 29},
    "twice": {"looked_after": 33, "child_in_need": 18, "child_protection_plan": 10,
              "early_help": 10, "care_leaver": 4, "none": 25},
    "repeat": {"looked_after": 45, "child_in_need": 17, "child_protection_plan": 12,
               "early_help": 8, "care_leaver": 6, "none": 12},
    "frequent": {"looked_after": 68, "child_in_need": 8, "child_protection_plan": 14,
                 "early_help": 2, "care_leaver": 5, "none": 3},
}
LOOKED_AFTER_PLACEMENTS: Final = {"foster_care": 44, "childrens_home": 34,
                                  "supported_accommodation": 10, "kinship_care": 8,
                                  "placed_with_parents": 2, "secure_unit": 2}
OUT_OF_AREA: Final = 0.5  # of the commissioners' looked-after children
# A child's risk of exploitation, by pattern (criminal includes county lines).
EXPLOITATION: Final = {"once": 0.06, "twice": 0.10, "repeat": 0.25, "frequent": 0.45}
# Ages at the child's last episode in the plan (care leavers: 17 to 20).
AGES: Final = {11: 2, 12: 6, 13: 12, 14: 18, 15: 22, 16: 23, 17: 17}
CARE_LEAVER_AGES: Final = {17: 20, 18: 40, 19: 25, 20: 15}


@dataclass(frozen=True, slots=True)
class DemoChild:
    local_id: str
    responsible_authority: str
    placement_authority: str | None  # where a looked-after child lives (None: at home)
    district: str  # where the child lives
    given_name: str
    family_name: str
    date_of_birth: date
    gender: str
    ethnicity: str
    legal_status: str
    placement_type: str
    uasc: bool
    disability_or_send: str
    pattern: str
    episodes: int  # how many episodes the plan gives the child
    exploitation: str | None  # "criminal" (with county lines) or "sexual", or None

    @property
    def out_of_area(self) -> bool:
        return self.placement_authority not in (None, self.responsible_authority)

    @property
    def lives_in(self) -> str:
        return self.placement_authority or self.responsible_authority

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _weighted(rng: random.Random, table: Mapping[Key, float]) -> Key:
    return rng.choices(list(table), weights=list(table.values()))[0]


def draw_pattern(rng: random.Random, placed_here: bool) -> tuple[str, int]:
    """How often a child goes missing: the pattern's name and the number of episodes. A child
    placed here by another authority is more often one who goes missing repeatedly."""
    weights = [0.35, 0.20, 0.30, 0.15] if placed_here else [share for _, share, _ in PATTERNS]
    name, _, (low, high) = rng.choices(PATTERNS, weights=weights)[0]
    if name == "frequent":  # mostly at the lower end
        return name, min(low + int(rng.expovariate(1 / 4)), high)
    return name, rng.randint(low, high)


def make_child(rng: random.Random, number: int, authority: str, *, placed_in: str | None,
               pattern: str, episodes: int, last_day: date) -> DemoChild:
    """One invented child of `authority` (placed in `placed_in` by that authority, when given),
    of the age `AGES` says on `last_day`, the day of their last episode."""
    exploitation: str | None = None
    if rng.random() < EXPLOITATION[pattern]:
        exploitation = "criminal" if rng.random() < 0.55 else "sexual"
    female = {"criminal": 0.25, "sexual": 0.8}.get(exploitation or "", 0.55)
    gender = "female" if rng.random() < female else "male"
    if rng.random() < 0.02:
        gender = rng.choice(("other", "not_known"))
    legal_status = "looked_after" if placed_in else _weighted(rng, LEGAL_STATUS[pattern])
    uasc = legal_status == "looked_after" and rng.random() < 0.05
    ages = CARE_LEAVER_AGES if legal_status == "care_leaver" else AGES
    age = _weighted(rng, ages)
    if uasc:
        age, gender = max(age, 15), "male" if rng.random() < 0.9 else gender
    born = last_day - timedelta(days=365 * age + rng.randint(30, 330))
    if legal_status == "looked_after":
        placement_type = _weighted(rng, LOOKED_AFTER_PLACEMENTS)
        if placement_type == "supported_accommodation" and age < 16:
            placement_type = "childrens_home"
        placement = placed_in or authority
        if placed_in is None and rng.random() < OUT_OF_AREA * (
                1.5 if placement_type == "childrens_home" else 1.0):
            placement = rng.choice([code for code in (*cast.COMMISSIONERS, *cast.NEIGHBOURS)
                                    if code != authority])
    elif legal_status == "care_leaver":
        placement_type = "supported_accommodation" if rng.random() < 0.7 else "other"
        placement = authority
    else:
        placement_type = "living_at_home" if rng.random() < 0.9 else "kinship_care"
        placement = None
    given = rng.choice(GIVEN["female" if gender == "female" else "male"])
    lives_in = placement or authority
    return DemoChild(
        local_id=f"DEMO-{authority}-{number:05d}", responsible_authority=authority,
        placement_authority=placement, district=rng.choice(cast.DISTRICTS[lives_in]),
        given_name=given, family_name=rng.choice(FAMILY), date_of_birth=born, gender=gender,
        ethnicity=rng.choice(("bafr", "ooth", "aoth")) if uasc
        else _weighted(rng, ETHNICITY),
        legal_status=legal_status, placement_type=placement_type, uasc=uasc,
        disability_or_send=_weighted(rng, {"yes": 24, "no": 66, "not_known": 10}),
        pattern=pattern, episodes=episodes, exploitation=exploitation)
