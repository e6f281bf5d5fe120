"""The kinds of report residents can make, and what each back office needs.

This is the one list that forms (domain.yml), actions and routing agree on;
``tests/test_categories.py`` checks domain.yml and the rules against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

from bot.messages import DEFAULT_LANGUAGE
from bot.messages import text as _text

# Asked at the end of every report form, in this order (see actions/reports.py
# for which are skipped: phone when the channel already knows it, phone and
# email when the resident does not want to be contacted).
CONTACT_SLOTS = ("contact_consent", "contact_phone", "contact_email")
CONFIRM_SLOT = "report_confirmed"


@dataclass(frozen=True)
class Category:
    key: str
    title: str  # how the bot names it to residents: "missed bin collection"
    detail_slots: Tuple[str, ...]  # asked after the location, in order
    needs_postcode: bool = False  # property-based services need the exact address
    what_first: bool = False  # ask what the problem is before where (the general form)
    # How the bot mentions one it has not started yet ("You also mentioned a street
    # light fault on ..."); "a <title>" unless the title takes no article.
    mention: str = ""
    label: str = ""  # the button offering it, when "<Title>" would not do

    @property
    def mentioned(self) -> str:
        return self.mention or _text("category.mention", title=self.title)

    @property
    def choice_label(self) -> str:
        """The button (and SMS option) offering this kind of report: "Street light fault"."""
        return self.label or self.title[:1].upper() + self.title[1:]

    # The same words in a conversation's language (the attributes above are English).
    def title_in(self, language: str) -> str:
        return self.title if language == DEFAULT_LANGUAGE else _text(f"category.{self.key}.title", language)

    def mentioned_in(self, language: str) -> str:
        if language == DEFAULT_LANGUAGE:
            return self.mentioned
        if self.mention:
            return _text(f"category.{self.key}.mention", language)
        return _text("category.mention", language, title=self.title_in(language))

    def choice_label_in(self, language: str) -> str:
        if language == DEFAULT_LANGUAGE:
            return self.choice_label
        if self.label:
            return _text(f"category.{self.key}.label", language)
        title = self.title_in(language)
        return title[:1].upper() + title[1:]

    @property
    def intent(self) -> str:
        prefix = "request_" if self.key in ("bulky_waste", "new_bin") else "report_"
        return prefix + self.key

    @property
    def form(self) -> str:
        return f"{self.key}_form"

    @property
    def required_slots(self) -> Tuple[str, ...]:
        where = ("location", "postcode") if self.needs_postcode else ("location",)
        if self.what_first:
            return self.detail_slots + where + CONTACT_SLOTS + (CONFIRM_SLOT,)
        return where + self.detail_slots + CONTACT_SLOTS + (CONFIRM_SLOT,)


def _kind(key: str, detail_slots: Tuple[str, ...], mention: bool = False, label: bool = False, **flags: bool) -> Category:
    """A kind of report with its words from the message catalogue (category.<key>.title, .mention, .label)."""
    return Category(
        key, _text(f"category.{key}.title"), detail_slots,
        mention=_text(f"category.{key}.mention") if mention else "",
        label=_text(f"category.{key}.label") if label else "", **flags,
    )


CATEGORIES: Tuple[Category, ...] = (
    _kind("missed_bin", ("bin_type", "collection_day"), needs_postcode=True),
    _kind("pothole", ("defect_surface", "defect_size", "defect_danger", "description")),
    _kind("flytipping", ("description",), mention=True),
    _kind("streetlight", ("description",)),
    _kind("graffiti", ("description",), mention=True),
    _kind("dog_fouling", ("description",), mention=True),
    _kind("litter", ("description",), mention=True),
    _kind("blocked_drain", ("description",)),
    _kind("tree", ("description",)),
    _kind("parking", ("description",)),
    _kind("noise", ("noise_type", "noise_when", "noise_frequency"), needs_postcode=True),
    _kind("abandoned_vehicle", ("vehicle_registration", "vehicle_make", "vehicle_colour", "vehicle_duration"),
          mention=True),
    _kind("housing_repair", ("description",), needs_postcode=True),
    _kind("other_problem", ("description",), what_first=True, mention=True, label=True),
    _kind("bulky_waste", ("bulky_items",), needs_postcode=True),
    _kind("new_bin", ("bin_type", "bin_reason"), needs_postcode=True),
)

BY_KEY: Dict[str, Category] = {c.key: c for c in CATEGORIES}
BY_FORM: Dict[str, Category] = {c.form: c for c in CATEGORIES}
BY_INTENT: Dict[str, Category] = {c.intent: c for c in CATEGORIES}

# Every slot a report form can fill; reset when a report is finished or cancelled.
REPORT_SLOTS: Tuple[str, ...] = tuple(
    dict.fromkeys(slot for c in CATEGORIES for slot in c.required_slots)
) + ("latitude", "longitude", "media_urls", "report_category", "failed_answers", "place", "location_choice")

# When NLU is unsure, the dialogue offers at most this many kinds of report
# (actions/choices.py; bot/nlu_evaluation.py counts a choice offered this way as
# "right after one question"). The likeliest must be at least
# MIN_CHOICE_CONFIDENCE likely, or there is nothing worth offering (the bot says
# it did not understand); the others need only MIN_FURTHER_CHOICE_CONFIDENCE:
# on the real reports the right kind was often a second or third reading below
# 0.1, and offering it took "right after one question" from 0.086 to 0.095 with
# no more questions asked (docs/nlu-evaluation.md, "When unsure, ask").
MAX_CHOICES = 3
MIN_CHOICE_CONFIDENCE = 0.1
MIN_FURTHER_CHOICE_CONFIDENCE = 0.02
# Questions the bot answers itself, offered beside the kinds of report when they are as
# likely: "can u tell me wen my bins are" was torn between a new bin, the bin day and a
# missed bin, and only the two reports were offered.
OFFERED_ENQUIRIES: Tuple[str, ...] = ("bin_day_enquiry",)


def likeliest(
    ranking: Sequence[Dict[str, Any]],
    most: int = MAX_CHOICES,
    first: float = MIN_CHOICE_CONFIDENCE,
    further: float = MIN_FURTHER_CHOICE_CONFIDENCE,
) -> List[str]:
    """The likeliest kinds of report in an NLU intent ranking (never dialogue acts), with any
    of OFFERED_ENQUIRIES in its place among them; nothing when no kind of report is likely.

    The keyword arguments are for measuring other choices (benchmarks/asking.py)."""
    found: List[Tuple[str, float]] = []
    for entry in sorted(ranking, key=lambda e: -float(e.get("confidence") or 0.0)):
        name, confidence = entry.get("name"), float(entry.get("confidence") or 0.0)
        if (name in BY_INTENT or name in OFFERED_ENQUIRIES) and name not in dict(found) and confidence >= further:
            found.append((name, confidence))
    reports = [confidence for name, confidence in found if name in BY_INTENT]
    if not reports or max(reports) < first:
        return []
    return [name for name, _ in found[:most]]

