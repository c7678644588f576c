"""The audit log in plain words, for the managers and administrators who read it at /audit.

The log names people by account (`user:12`), keys by id and records by id, never a child. This
module turns an entry into a sentence: "Ivy Interviewer (interviewer) changed the interview
record of Casey Seeded, version 3, at 2:04pm on 4 December 2026." Names come from one lookup
per page (`look_up`), and only where the reader may see them: a child's name only when the
reader's role sees identifying data and their organisation may see the record (the record
visibility rule); another organisation's person only as "someone at <organisation>". The
rest is pure: `describe` reads an entry and the lookup, and never fails on an action it does
not know (it says the code in words).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

import orjson
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.models import IDENTIFYING_ROLES, ORG_KIND, ApiKey, Organisation, User
from app.admin.people import ROLE_NAMES
from app.audit.models import AuditEntry
from app.core.templating import format_london
from app.core.text import digits
from app.record import register, visibility
from app.record.models import Child, Interview, RegisterEpisode

DETAIL_VALUE_LENGTH = 80


@dataclass(frozen=True)
class Words:
    """How an action reads. `sentence` names `{who}`, `{target}` (read as `target`: "record",
    "episode", "person", "key", "organisation", "child", or "text" as written), `{at}` (else
    " at <time>" ends it) and details by key; `short` when the target or a detail is missing.
    `notes` phrase this action's other details ("{}" is the value)."""

    sentence: str
    target: str | None = None
    short: str | None = None
    notes: Mapping[str, str] = field(default_factory=dict)


_RECORD_TIME = "{who} {verb} {target}, version {version}, at {at}"


def _versioned(verb: str, target: str = "record") -> Words:
    return Words(_RECORD_TIME.replace("{verb}", verb), target, f"{{who}} {verb} {{target}}")


ACTIONS: Final[dict[str, Words]] = {
    # Signing in and out, and second factors (app/accounts).
    "sign_in": Words("{who} signed in"),
    "sign_in_failed": Words("Someone tried to sign in as {target} and was refused", "person",
                            "Someone tried to sign in and was refused"),
    "sso_unavailable": Words("Someone could not sign in as {target}: their organisation's "
                             "sign-in service failed", "person",
                             "Someone could not sign in: their organisation's sign-in "
                             "service failed"),
    "sign_out": Words("{who} signed out"),
    "second_factor_enrolled": Words("{who} set up their authenticator app"),
    "second_factor_failed": Words("{who} entered a wrong security code"),
    "recovery_code_used": Words("{who} signed in with a recovery code"),
    # People, keys and organisations (app/accounts/administration.py, app/admin).
    "user.invite": Words("{who} invited {target}", "person"),
    "user.disable": Words("{who} disabled the account of {target}", "person"),
    "user.enable": Words("{who} enabled the account of {target} again", "person"),
    "user.set_role": Words("{who} changed the role of {target} from {from} to {to}", "person",
                           "{who} changed the role of {target}"),
    "user.reset_password": Words("{who} reset the password of {target}", "person"),
    "user.reset_second_factor": Words("{who} reset the authenticator app of {target}",
                                      "person"),
    "user.end_sessions": Words("{who} ended every session of {target}", "person"),
    "api_key.create": Words("{who} made {target}", "key"),
    "api_key.revoke": Words("{who} revoked {target}", "key"),
    "organisation.create": Words("{who} added the organisation {target}", "organisation"),
    "organisation.rename": Words("{who} renamed the organisation “{from}” to “{to}”",
                                 "organisation", "{who} renamed {target}"),
    "organisation.sso_set": Words("{who} set up single sign-on for {target}", "organisation"),
    "organisation.sso_clear": Words("{who} turned off single sign-on for {target}",
                                    "organisation"),
    "organisation.notify_email": Words(
        "{who} changed the email address for notices of {target} from {from} to {to}",
        "organisation", "{who} changed the email address for notices of {target}"),
    # Records (app/interviews, app/retention).
    "interview.create": Words("{who} created {target}", "record"),
    "interview.save": Words("{who} saved answers in {target}", "record"),
    "interview.submit": _versioned("submitted"),
    "interview.approve": _versioned("approved"),
    "interview.return": Words("{who} returned {target} to the interviewer", "record"),
    "interview.change": _versioned("changed"),
    "interview.discard": Words("{who} discarded a draft interview record"),
    "interview.delete": Words("{who} deleted an interview record"),
    "interview.retention-decision": Words(
        "{who} recorded a retention decision on {target}", "record",
        notes={"decision": "decision: {}", "keep_until": "kept until {}",
               "retention_ended": "its retention period ended {}",
               "decided_by": "decided by {}"}),
    "interview.view": Words("{who} viewed {target}", "record"),
    "interview.versions": Words("{who} listed the versions of {target}", "record"),
    "interview.list": Words("{who} was shown a list of interview records",
                            notes={"count": "{} records"}),
    # The host authority's restricted view (app/interviews/placed.py).
    "interview.host-list": Words("{who} was shown the list of children placed in their area",
                                 notes={"count": "{} records"}),
    "interview.host-view": Words("{who} viewed the host authority's restricted view of "
                                 "{target}", "record"),
    # Missing episodes and children (app/episodes, app/retention).
    "episode.notify": Words("{who} recorded {target}", "episode"),
    "episode.change": _versioned("changed", "episode"),
    "episode.allocate": Words("{who} allocated {target}", "episode",
                              notes={"organisation": "to {}", "user_id": "to {}"}),
    "episode.start-interview": Words("{who} started an interview record for {target}",
                                     "episode"),
    "episode.view": Words("{who} viewed {target}", "episode"),
    "episode.list": Words("{who} was shown a list of episodes",
                          notes={"count": "{} episodes"}),
    "episode.delete": Words("{who} deleted an episode"),
    "child.differences": Words("{who} viewed the dates of birth other organisations gave "
                               "differently", notes={"count": "{} differences"}),
    "child.view": Words("{who} viewed the history of {target}", "child"),
    "child.start-interview": Words(
        "{who} started an interview record for {target}, filled in from what they may see",
        "child"),
    "search": Words("{who} searched for a child", notes={"count": "{} found",
                                                        "via": "from the {} page"}),
    "child.date-of-birth.accepted": Words(
        "{who} accepted the date of birth another organisation gave for {target}", "child"),
    "child.date-of-birth.rejected": Words(
        "{who} kept their own date of birth for {target}, not the one another organisation "
        "gave", "child"),
    # Reports, the feed and exports (app/feed).
    "report.view": Words("{who} viewed the quarterly report for {target}", "text"),
    "report.csv": Words("{who} downloaded a table of the quarterly report for {target}",
                        "text"),
    "feed.pull": Words("{who} pulled the records feed", notes={"count": "{} records"}),
    "feed.episodes": Words("{who} pulled the episodes feed", notes={"count": "{} episodes"}),
    "feed.summary": Words("{who} pulled a summary of the records"),
    "export.ssda903_missing": Words("{who} exported the SSDA903 missing return for "
                                    "{collection_year}",
                                    short="{who} exported the SSDA903 missing return"),
    # Refusals and the log itself.
    "request.refused": Words("{who} tried to {method} {target} at {at} and was refused "
                             "({why})", "text", "{who} was refused at {at} ({why})"),
    "audit.search": Words("{who} searched the audit log"),
}

# The people and things an actor label names that are not an account or a key.
ACTORS: Final = {"system": "the service", "cli": "someone using the rhi command line",
                 "anonymous": "someone not signed in"}
REFUSALS: Final = {400: "the request was not valid", 401: "not signed in",
                   403: "not allowed", 404: "not found, or not theirs to see",
                   409: "it clashed with another change",
                   412: "the record had changed since it was read",
                   422: "what was sent was not valid",
                   428: "it did not say which version it changed"}
METHODS: Final = {"GET": "open", "HEAD": "open", "POST": "send something to",
                  "PUT": "change", "PATCH": "change", "DELETE": "delete"}
VIA: Final = {"api": "through the API", "web": "on the web", "sso": "through single sign-on",
              "home": "on the home page"}
# Words for the reasons a sign-in failed (phrases, not secrets).
REASONS: Final = {"wrong_password": "a wrong password",  # nosec B105
                  "unknown_account": "no such account",
                  "locked": "the account was locked", "inactive": "the account is disabled",
                  "throttled": "too many tries from this address",
                  "sso_required": "the organisation signs in through its own service",
                  "retention": "the retention period ended"}
# Details phrased the same whatever the action ("{}" is the value); others read "key: value".
DETAIL_WORDS: Final = {
    "version": "version {}", "versions": "{} versions", "status": "status {}",
    "fields": "fields: {}", "changed": "answers changed: {}",
    "not_saved": "answers not saved yet: {}", "via": "{}", "page": "page: {}",
    "left": "{} recovery codes left", "ended": "{} sessions ended", "role": "role: {}",
    "expires_days": "expires after {} days", "given_by": "given by {}", "reason": "reason: {}",
}
# What a sentence says when the entry names no target.
SOME: Final = {"person": "an account", "key": "an API key", "organisation": "an organisation",
               "record": "an interview record", "episode": "an episode", "child": "a child"}
# True is a whole phrase.
FLAGS: Final = {"approval_withdrawn": "the approval was withdrawn",
                "not_modified": "nothing new since the last pull",
                "refused": "refused: the return was not valid",
                "child_removed": "the child's details were removed too",
                "more": "more found than shown"}
# Ids the technical record keeps; a sentence says nothing useful with them.
TECHNICAL_ONLY: Final = frozenset({"ids", "interview", "source_id"})
POINTER_LISTS: Final = frozenset({"changed", "fields", "not_saved"})
ORGANISATION_DETAILS: Final = frozenset({"organisation", "given_by"})


@dataclass(frozen=True)
class Part:
    """A piece of a sentence: text, a link when `href` is set."""

    text: str
    href: str | None = None


@dataclass(frozen=True)
class Described:
    entry_id: int | None
    sentence: list[Part]
    notes: list[str]  # the details, each a short phrase
    technical: list[tuple[str, str]]  # the entry as written, for investigators


@dataclass(frozen=True)
class Person:
    name: str
    role: str
    organisation: str  # code
    organisation_name: str


@dataclass(frozen=True)
class Lookup:
    """What the names on one page of entries resolve to, for one reader."""

    organisation: str  # the reader's organisation's code
    admin: bool
    people: dict[int, Person] = field(default_factory=dict)
    keys: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id: name, org, name
    organisations: dict[str, str] = field(default_factory=dict)  # code: name
    records: dict[str, str] = field(default_factory=dict)  # id: child's name (visible ones)
    episodes: dict[str, str] = field(default_factory=dict)  # id: child's case id (visible)
    children: dict[str, str] = field(default_factory=dict)  # id: case id (visible ones)


def words_for(action: str) -> Words:
    """The action's words; an action nobody gave words reads as its code in words."""
    known = ACTIONS.get(action)
    if known is not None:
        return known
    spoken = re.sub(r"[._-]+", " ", action).strip().replace("{", "{{").replace("}", "}}")
    return Words(f"{{who}} did “{spoken}”")


def _user_id(label: str | None) -> int | None:
    if label and label.startswith("user:") and digits(label[5:]) and len(label) <= 23:
        return int(label[5:])
    return None


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None


def _child_name(document: dict[str, Any]) -> str:
    child = document.get("child") or {}
    name = f"{child.get('given_name') or ''} {child.get('family_name') or ''}".strip()
    return name or "an unnamed child"


# --- the names on a page (the one part that reads the database) ------------------------------

def look_up(session: Session, entries: Iterable[AuditEntry], reader: Caller) -> Lookup:
    """Every name the entries need, in one query of each kind, as far as `reader` may see:
    people and keys of any organisation (another's is only said to be theirs), and only for
    a reader whose role sees identifying data, the children of records and episodes their
    organisation may see (`app.record.visibility` and `app.record.register`)."""
    users: set[int] = set()
    keys: set[str] = set()
    codes: set[str] = set()
    targets: dict[str, set[str]] = {"record": set(), "episode": set(), "child": set()}
    for entry in entries:
        kind = words_for(entry.action).target
        for label in (entry.actor, entry.target):
            if (user_id := _user_id(label)) is not None:
                users.add(user_id)
        if entry.actor.startswith("key:"):
            keys.add(entry.actor[4:])
        if entry.target and kind == "key":
            keys.add(entry.target)
        if entry.target and kind == "organisation":
            codes.add(entry.target)
        if entry.target and kind in targets:
            targets[kind].add(entry.target)
        details = entry.details or {}
        codes.update(details[k] for k in ORGANISATION_DETAILS & details.keys()
                     if isinstance(details[k], str))
        if (user_id := _user_id(f"user:{details.get('user_id')}")) is not None:
            users.add(user_id)
    found = Lookup(organisation=reader.organisation_code, admin=reader.role == "admin")
    if users:
        found.people.update(
            (user_id, Person(name, role, code, org_name))
            for user_id, name, role, code, org_name in session.execute(
                select(col(User.id), col(User.name), col(User.role), col(Organisation.code),
                       col(Organisation.name))
                .join(Organisation, col(Organisation.id) == col(User.organisation_id))
                .where(col(User.id).in_(users))).all() if user_id is not None)
    if keys:
        found.keys.update(
            (key_id, (name, code, org_name))
            for key_id, name, code, org_name in session.execute(
                select(col(ApiKey.id), col(ApiKey.name), col(Organisation.code),
                       col(Organisation.name))
                .join(Organisation, col(Organisation.id) == col(ApiKey.organisation_id))
                .where(col(ApiKey.id).in_(keys))).all())
    if codes:
        found.organisations.update(
            (code, name) for code, name in session.execute(
                select(col(Organisation.code), col(Organisation.name))
                .where(col(Organisation.code).in_(codes))).all())
    if reader.role not in IDENTIFYING_ROLES:
        return found  # an administrator sees no child's name or case id
    if records := {u for u in map(_uuid, targets["record"]) if u}:
        found.records.update(
            (str(record_id), _child_name(document))
            for record_id, document in session.execute(
                select(col(Interview.id), col(Interview.document)).where(
                    col(Interview.id).in_(records),
                    visibility.visible_to(reader.organisation_code))).all())
    if episodes := {u for u in map(_uuid, targets["episode"]) if u}:
        found.episodes.update(
            (str(episode_id), local_id)
            for episode_id, local_id in session.execute(
                select(col(RegisterEpisode.id), col(Child.local_id))
                .join(Child, col(Child.id) == col(RegisterEpisode.child_id))
                .where(col(RegisterEpisode.id).in_(episodes),
                       register.visible_to(reader.organisation_code))).all())
    if children := {int(t) for t in targets["child"] if digits(t) and len(t) < 19}:
        # A child is visible through a visible record or episode (as on the child's page).
        seen = or_(
            exists().where(col(Interview.child_id) == col(Child.id),
                           visibility.visible_to(reader.organisation_code)),
            exists().where(col(RegisterEpisode.child_id) == col(Child.id),
                           register.visible_to(reader.organisation_code)))
        found.children.update(
            (str(child_id), local_id)
            for child_id, local_id in session.execute(
                select(col(Child.id), col(Child.local_id)).where(
                    col(Child.id).in_(children), seen)).all())
    return found


# --- the words of one entry (pure) --------------------------------------------------------------

def when(entry: AuditEntry) -> str:
    """UK time, as a sentence says it: "2:04pm on 4 December 2026"."""
    day, _, clock = format_london(entry.at).rpartition(" at ")
    return f"{clock} on {day}"


def _person(user_id: int, lookup: Lookup) -> Part:
    person = lookup.people.get(user_id)
    if person is None:
        return Part("an account that no longer exists")
    if person.organisation != lookup.organisation:
        return Part(f"someone at {person.organisation_name}")
    role = ROLE_NAMES.get(person.role, person.role).lower()
    return Part(f"{person.name} ({role})",
                f"/admin/people/{user_id}" if lookup.admin else None)


def _key(key_id: str, lookup: Lookup) -> Part:
    if key_id not in lookup.keys:
        return Part("an API key")
    name, code, organisation_name = lookup.keys[key_id]
    if code != lookup.organisation:
        return Part(f"an API key of {organisation_name}")
    return Part(f"the API key “{name}”")


def actor(label: str, lookup: Lookup) -> Part:
    """Who acted, in words."""
    if (user_id := _user_id(label)) is not None:
        return _person(user_id, lookup)
    if label.startswith("key:"):
        return _key(label[4:], lookup)
    return Part(ACTORS.get(label, label))


def target(kind: str | None, text: str | None, lookup: Lookup) -> Part:
    """What was acted on, in words."""
    if not text or kind is None:
        return Part(SOME.get(kind or "", "something"))
    if kind == "person":
        user_id = _user_id(text)
        return _person(user_id, lookup) if user_id is not None else Part("an account")
    if kind == "key":
        return _key(text, lookup)
    if kind == "organisation":
        return Part(lookup.organisations.get(text, text))
    if kind == "record":
        if text in lookup.records:
            return Part(f"the interview record of {lookup.records[text]}",
                        f"/interviews/{text}")
        return Part("an interview record")
    if kind == "episode":
        if text in lookup.episodes:
            return Part(f"the episode of {lookup.episodes[text]}", f"/episodes/{text}")
        return Part("an episode")
    if kind == "child":
        if text in lookup.children:
            return Part(f"the child with case id {lookup.children[text]}", f"/children/{text}")
        return Part("a child")
    return Part(text)


def _is_id(raw: Any) -> bool:
    return (isinstance(raw, int) and not isinstance(raw, bool)) or (
        isinstance(raw, str) and _uuid(raw) is not None)


def _short(value: str) -> str:
    return value if len(value) <= DETAIL_VALUE_LENGTH else value[:DETAIL_VALUE_LENGTH - 1] + "…"


def value(key: str, raw: Any, lookup: Lookup, action: str = "") -> str:
    """A detail's value in words: names for codes and accounts, lists joined, cut short."""
    if raw is None:
        return "none"
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    if key in POINTER_LISTS and isinstance(raw, list):
        # "/episodes/0/returned_at" is the answer "returned_at".
        names = [next((p for p in reversed(str(v).split("/")) if p and not p.isdigit()),
                      str(v)) for v in raw]
        return _short(", ".join(dict.fromkeys(names)) or "none")
    if key == "via" and isinstance(raw, str) and raw in VIA:
        return VIA[raw]
    if key == "reason" and isinstance(raw, str) and raw in REASONS:
        return REASONS[raw]
    if key == "role" or (action == "user.set_role" and key in ("from", "to")):
        return ROLE_NAMES.get(str(raw), str(raw)).lower()
    if key == "kind" and isinstance(raw, str) and raw in ORG_KIND:
        return ORG_KIND[raw].lower()
    if key in ORGANISATION_DETAILS and isinstance(raw, str):
        return lookup.organisations.get(raw, raw)
    if key == "user_id" and (user_id := _user_id(f"user:{raw}")) is not None:
        return _person(user_id, lookup).text
    if isinstance(raw, list) and raw and all(_is_id(v) for v in raw):
        return str(len(raw))  # ids say nothing to a reader: how many (the ids stay technical)
    if isinstance(raw, list):
        return _short(", ".join(str(v) for v in raw) or "none")
    if isinstance(raw, dict):
        return _short(", ".join(f"{k} {v}" for k, v in sorted(raw.items())) or "none")
    return _short(str(raw))


def _technical(entry: AuditEntry) -> list[tuple[str, str]]:
    return [("Entry", str(entry.id)), ("Time (UTC)", entry.at.isoformat()),
            ("Who", entry.actor), ("Organisation", entry.organisation or "none"),
            ("Action", entry.action), ("Target", entry.target or "none"),
            ("Address", entry.address or "none"),
            ("Details", orjson.dumps(entry.details, option=orjson.OPT_SORT_KEYS).decode()),
            ("Previous hash", entry.prev_hash), ("Hash", entry.hash),
            ("Keyed", "yes" if entry.keyed else "no")]


def _sentence(template: str, fields: Mapping[str, Part], details: Mapping[str, Any],
              lookup: Lookup, action: str) -> tuple[list[Part], set[str]]:
    sentence: list[Part] = []
    named: set[str] = set()
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            sentence.append(Part(literal))
        if name:
            named.add(name)
            sentence.append(fields.get(name) or Part(value(name, details.get(name), lookup,
                                                           action)))
    return sentence, named


def _refusal(details: Mapping[str, Any]) -> dict[str, Part]:
    status = details.get("status")
    why = REFUSALS.get(status) if isinstance(status, int) else None
    return {"method": Part(METHODS.get(str(details.get("method")), "reach")),
            "why": Part(f"{why}, status {status}" if why
                        else f"status {status}" if status is not None else "status not known")}


def _note(key: str, raw: Any, phrase: str | None, lookup: Lookup, action: str) -> str:
    if key in FLAGS and raw is True:
        return FLAGS[key]
    said = value(key, raw, lookup, action)
    return phrase.format(said) if phrase else f"{key.replace('_', ' ')}: {said}"


def describe(entry: AuditEntry, lookup: Lookup) -> Described:
    """The entry in plain words: a sentence, its other details as phrases, and the entry as
    written (kept for investigators)."""
    words = words_for(entry.action)
    details = entry.details or {}
    fields = {"who": actor(entry.actor, lookup), "at": Part(when(entry)),
              "target": target(words.target, entry.target, lookup), **_refusal(details)}
    template = words.sentence
    asked = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if words.short is not None and (
            ("target" in asked and not entry.target)
            or any(details.get(n) is None for n in asked - fields.keys())):
        template = words.short
    sentence, named = _sentence(template, fields, details, lookup, entry.action)
    if "at" not in named:
        sentence.append(Part(f" at {when(entry)}"))
    sentence.append(Part("."))
    sentence[0] = Part(sentence[0].text[:1].upper() + sentence[0].text[1:], sentence[0].href)
    used = named | ({"status", "method"} if entry.action == "request.refused" else set())
    notes = [_note(key, details[key], words.notes.get(key) or DETAIL_WORDS.get(key), lookup,
                   entry.action)
             for key in sorted(details.keys() - used - TECHNICAL_ONLY)]
    if entry.target and words.target is None and entry.action not in ACTIONS:
        notes.append(f"target: {_short(entry.target)}")
    if entry.address:
        notes.append(f"from the address {entry.address}")
    return Described(entry.id, sentence, notes, _technical(entry))
