"""The closed code lists of the data dictionary (`docs/data-dictionary.md`).

Each list is a tuple so that its order is the order people see on the form.
Labels are the plain words shown on pages; codes never change meaning.
"""

from __future__ import annotations

from typing import Final

GENDER: Final = {
    "female": "Female",
    "male": "Male",
    "other": "Other",
    "not_known": "Not known",
}

ETHNICITY: Final = {
    "wbri": "White British",
    "wiri": "White Irish",
    "wirt": "Traveller of Irish heritage",
    "woth": "Any other White background",
    "wrom": "Gypsy or Roma",
    "mwbc": "White and Black Caribbean",
    "mwba": "White and Black African",
    "mwas": "White and Asian",
    "moth": "Any other mixed background",
    "aind": "Indian",
    "apkn": "Pakistani",
    "aban": "Bangladeshi",
    "aoth": "Any other Asian background",
    "bcrb": "Black Caribbean",
    "bafr": "Black African",
    "both": "Any other Black background",
    "chne": "Chinese",
    "ooth": "Any other ethnic group",
    "refu": "Refused",
    "nobt": "Information not yet obtained",
}

LEGAL_STATUS: Final = {
    "looked_after": "Looked after (in care)",
    "child_protection_plan": "Child protection plan",
    "child_in_need": "Child in need",
    "care_leaver": "Care leaver",
    "early_help": "Early help",
    "none": "None of these",
}

EPISODE_TYPE: Final = {
    "missing": "Missing (whereabouts not known)",
    "away": "Away without authorisation (whereabouts known)",
}

POLICE_RISK_GRADE: Final = {
    "no_apparent_risk": "No apparent risk",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
}

OFFER_OUTCOME: Final = {
    "completed": "Interview completed",
    "declined": "The child declined",
    "not_achieved": "Not achieved (could not be reached or seen)",
    "not_offered": "Not offered",
}

ATTEMPT_METHOD: Final = {
    "in_person": "In person",
    "phone": "Phone",
    "text": "Text message",
    "letter": "Letter",
    "via_carer": "Through a carer",
    "other": "Other",
}

MODE: Final = {"in_person": "In person", "phone": "Phone", "video": "Video call"}

LOCATION_TYPE: Final = {
    "home": "Home",
    "placement": "Placement",
    "school": "School",
    "neutral_venue": "Neutral venue",
    "other": "Other",
}

INTERVIEWER_ROLE: Final = {
    "independent_rhi_worker": "Independent return interview worker",
    "social_worker": "Social worker",
    "early_help_worker": "Early help worker",
    "youth_worker": "Youth worker",
    "carer": "Carer",
    "residential_staff": "Residential staff",
    "teacher": "Teacher",
    "police": "Police",
    "other": "Other",
}

PUSH_FACTORS: Final = {
    "family_conflict": "Family conflict",
    "domestic_abuse": "Domestic abuse",
    "abuse_or_neglect": "Abuse or neglect",
    "household_substance_misuse": "Substance misuse in the household",
    "placement_unhappy": "Unhappy in placement",
    "placement_breakdown": "Placement breakdown",
    "school_problems": "Problems at school",
    "bullying": "Bullying",
    "bereavement_or_loss": "Bereavement or loss",
    "loneliness_or_isolation": "Loneliness or isolation",
    "mental_health": "Mental health",
    "sexuality_or_identity": "Sexuality or identity",
    "boundaries_or_rules": "Boundaries or rules",
    "other": "Other",
    "none_identified": "None identified",
}

PULL_FACTORS: Final = {
    "family_or_friends": "Family or friends",
    "boyfriend_or_girlfriend": "Boyfriend or girlfriend",
    "peer_pressure": "Peer pressure",
    "parties": "Parties",
    "drugs_or_alcohol": "Drugs or alcohol",
    "money_or_gifts": "Money or gifts",
    "accommodation_offered": "Accommodation offered",
    "adult_of_concern": "An adult of concern",
    "gang_association": "Gang association",
    "online_contact": "Online contact",
    "other": "Other",
    "none_identified": "None identified",
}

HARM_DISCLOSED: Final = {"yes": "Yes", "no": "No", "not_known": "Not known"}

RISK_INDICATORS: Final = {
    "sexual_exploitation": "Sexual exploitation",
    "criminal_exploitation": "Criminal exploitation",
    "county_lines": "County lines",
    "trafficking": "Trafficking",
    "online_exploitation": "Online exploitation",
    "substance_misuse": "Substance misuse",
    "self_harm": "Self-harm",
    "physical_harm": "Physical harm",
    "sexual_assault": "Sexual assault",
    "weapons": "Weapons",
    "unexplained_money_or_gifts": "Unexplained money or gifts",
    "older_partner": "Older partner",
    "unknown_adults": "Unknown adults",
    "vehicles_unknown_adults": "Vehicles with unknown adults",
    "hotels_or_parties": "Hotels or parties",
    "missing_with_peers": "Missing with peers",
    "found_out_of_area": "Found out of area",
    "radicalisation": "Radicalisation",
    "forced_marriage": "Forced marriage",
}

CONSENT_TO_SHARE: Final = {
    "yes": "Yes",
    "no": "No",
    "not_required": "Not required (safeguarding overrides consent)",
}

ACTION_TYPE: Final = {
    "social_care_referral": "Social care referral",
    "mash_referral": "MASH referral",
    "early_help_referral": "Early help referral",
    "police_intelligence": "Police intelligence submitted",
    "strategy_meeting": "Strategy meeting",
    "seraf_assessment": "SERAF risk assessment",
    "safety_plan": "Safety plan",
    "nrm_referral": "National Referral Mechanism referral",
    "health_referral": "Health referral",
    "education_referral": "Education referral",
    "follow_up_support": "Follow-up support",
    "other": "Other",
}

SHARING_WITH: Final = {
    "social_worker": "Social worker",
    "iro": "Independent Reviewing Officer",
    "responsible_authority": "Responsible authority",
    "police": "Police",
    "school": "School",
    "health": "Health",
    "parent_or_carer": "Parent or carer",
}

EXPLOITATION_INDICATORS: Final = frozenset(
    {"sexual_exploitation", "criminal_exploitation", "county_lines", "trafficking",
     "online_exploitation"}
)
CSE_INDICATORS: Final = frozenset({"sexual_exploitation", "online_exploitation"})
SAFEGUARDING_ACTIONS: Final = frozenset(ACTION_TYPE) - {
    "follow_up_support", "education_referral", "other"
}


def seraf_category(score: int | None) -> int | None:
    """SERAF category from score: 0-5 → 1, 6-10 → 2, 11-15 → 3, 16+ → 4."""
    if score is None:
        return None
    if score <= 5:
        return 1
    if score <= 10:
        return 2
    if score <= 15:
        return 3
    return 4
