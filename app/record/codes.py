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

# "Involvement with children's services" on pages (the field keeps its name `legal_status`).
LEGAL_STATUS: Final = {
    "looked_after": "Looked after (in care)",
    "child_protection_plan": "Child protection plan",
    "child_in_need": "Child in need",
    "care_leaver": "Care leaver",
    "early_help": "Early help",
    "none": "None of these",
}

UASC_LABEL: Final = "Unaccompanied asylum-seeking child"

DISABILITY_OR_SEND: Final = {"yes": "Yes", "no": "No", "not_known": "Not known"}

PLACEMENT_TYPE: Final = {
    "living_at_home": "Living at home with family",
    "foster_care": "Foster care",
    "kinship_care": "Kinship care (family or friends)",
    "childrens_home": "Children's home",
    "supported_accommodation": "Supported accommodation",
    "secure_unit": "Secure children's home",
    "placed_with_parents": "Placed with parents",
    "other": "Other",
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

BROUGHT_BACK_BY: Final = {
    "returned_alone": "Came back on their own",
    "parent_or_carer": "A parent or carer",
    "police": "The police",
    "professional": "Another professional",
    "other": "Someone else",
    "not_known": "Not known",
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

# How the interviewer stands to the child: with the role, it decides independence in set 2027.1.
INTERVIEWER_RELATIONSHIP: Final = {
    "none": "No part in the child's care, placement or case",
    "case_worker": "Works on the child's case",
    "carer_or_placement_staff": "Cares for the child or works where they live",
    "school_staff": "Works at the child's school",
    "police": "A police officer involved with the child",
    "other": "Another involvement with the child",
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
    "relationship": "Someone they are in a relationship with",
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
    "boyfriend_or_girlfriend": "Boyfriend or girlfriend (no longer used: see relationship)",
}

HARM_DISCLOSED: Final = {"yes": "Yes", "no": "No", "not_known": "Not known"}

RISK_INDICATORS: Final = {
    "sexual_exploitation": "Sexual exploitation",
    "criminal_exploitation": "Criminal exploitation",
    "county_lines": "County lines",
    "trafficking": "Trafficking",
    "online_exploitation": "Online exploitation",
    "financial_exploitation": "Financial exploitation",
    "radicalisation": "Radicalisation",
    "substance_misuse": "Substance misuse",
    "self_harm": "Self-harm",
    "physical_harm": "Physical harm",
    "sexual_assault": "Sexual assault",
    "weapons": "Weapons",
    "unexplained_money_or_gifts": "Unexplained money or gifts",
    "adult_of_concern": "Contact with an adult of concern",
    "unknown_adults": "Unknown adults",
    "vehicles_unknown_adults": "Vehicles with unknown adults",
    "hotels_or_parties": "Hotels or parties",
    "missing_with_peers": "Missing with peers",
    "found_out_of_area": "Found out of area",
    "several_phones_or_sims": "Several phones or SIM cards",
    "found_with_drugs_or_cash": "Found with drugs or cash",
    "arrested_away_from_home": "Arrested away from home",
    "injuries": "Unexplained injuries",
    "debt_or_fear_of_reprisal": "Debt, or fear of reprisal",
    "forced_marriage": "Forced marriage",
    "older_partner": "Older partner (no longer used: see adult of concern)",
}

AFRAID_OF_ANYONE: Final = {"yes": "Yes", "no": "No", "not_said": "The child did not say"}

VIEWS_ON_SHARING: Final = {
    "agrees": "Agrees to it being shared",
    "agrees_in_part": "Agrees to some of it being shared",
    "objects": "Does not want it shared",
    "not_given": "Did not give a view",
}

# The lawful basis for sharing (UK GDPR article 6): consent is rarely the right one for
# safeguarding (DfE information sharing advice, 2024).
LAWFUL_BASIS: Final = {
    "public_task": "Public task (statutory safeguarding duties)",
    "legal_obligation": "Legal obligation",
    "vital_interests": "Vital interests (to protect someone's life)",
    "consent": "Consent",
}

CONSENT_TO_SHARE: Final = {
    "yes": "Yes",
    "no": "No",
    "not_required": "Not required (no longer used: see lawful_basis)",
}

ACTION_STATUS: Final = {
    "planned": "Planned",
    "done": "Done",
    "not_done": "Not done",
}

ACTION_TYPE: Final = {
    "social_care_referral": "Social care referral",
    "mash_referral": "MASH referral",
    "early_help_referral": "Early help referral",
    "police_intelligence": "Police intelligence submitted",
    "strategy_meeting": "Strategy meeting",
    "strategy_discussion": "Strategy discussion",
    "exploitation_risk_assessment": "Exploitation risk assessment by the social worker",
    "seraf_assessment": "SERAF risk assessment",
    "safety_plan": "Safety plan",
    "nrm_referral": "National Referral Mechanism referral",
    "nrm_decision": "National Referral Mechanism decision recorded",
    "mace_referral": "Referral to the exploitation panel (MACE)",
    "risk_management_meeting": "Risk management meeting",
    "looked_after_review": "Looked-after review",
    "health_referral": "Health referral",
    "education_referral": "Education referral",
    "follow_up_support": "Follow-up support",
    "other": "Other",
}

SHARING_WITH: Final = {
    "missing_coordinator": "The authority's missing co-ordinator",
    "social_worker": "Social worker",
    "personal_adviser": "Personal adviser (care leaver)",
    "iro": "Independent Reviewing Officer",
    "responsible_authority": "Responsible authority",
    "police": "Police",
    "school": "School",
    "health": "Health",
    "parent_or_carer": "Parent or carer",
    "host_authority": "Host authority (where the child is placed)",
    "placement_provider": "Placement provider",
}

# Codes kept so that records and partner systems using them stay valid, but no longer offered
# on the form: each with the code that replaces it (`docs/data-dictionary.md`, "Deprecated").
DEPRECATED: Final = {
    "pull_factors": {"boyfriend_or_girlfriend": "relationship"},
    "risk_indicators": {"older_partner": "adult_of_concern"},
    "consent_to_share": {"not_required": "lawful_basis"},
}

# Every form of exploitation (standard set 2027.1).
EXPLOITATION_INDICATORS: Final = frozenset(
    {"sexual_exploitation", "criminal_exploitation", "county_lines", "trafficking",
     "online_exploitation", "financial_exploitation", "radicalisation"}
)
# The forms where a National Referral Mechanism decision is needed (set 2027.1).
NRM_INDICATORS: Final = frozenset({"criminal_exploitation", "county_lines", "trafficking"})
# Where the police must receive the findings (set 2027.1): exploitation, or a crime against the
# child.
POLICE_INDICATORS: Final = EXPLOITATION_INDICATORS | {
    "sexual_assault", "physical_harm", "weapons", "forced_marriage"}
# Signs of abuse at home: sharing with a parent or carer then needs a second thought.
HARM_AT_HOME_FACTORS: Final = frozenset({"domestic_abuse", "abuse_or_neglect"})
CSE_INDICATORS: Final = frozenset({"sexual_exploitation", "online_exploitation"})
# Set 2026.1's meaning of "safeguarding action", kept as it was so its findings do not move.
SAFEGUARDING_ACTIONS: Final = frozenset({
    "social_care_referral", "mash_referral", "early_help_referral", "police_intelligence",
    "strategy_meeting", "seraf_assessment", "safety_plan", "nrm_referral", "health_referral"})
# Set 2027.1's: every action that answers harm or risk.
SAFEGUARDING_ACTIONS_2027: Final = frozenset(ACTION_TYPE) - {
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
