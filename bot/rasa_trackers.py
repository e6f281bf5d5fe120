"""Cheaper conversation-tracker bookkeeping for Rasa 3.6, with the same results.

Measured with py-spy on the Rasa server during ``python -m benchmarks.rest``
(docs/benchmarks.md): about a sixth of the server's CPU per turn went to
Rasa rebuilding the same tracker state again and again from the whole event
history of the session:

1. ``DialogueStateTracker.copy`` replays every event into a new tracker. The
   processor copies the tracker before every action it runs, and forms copy it
   again before each slot question. :func:`copy_tracker` copies the state the
   replay would rebuild directly (the tracker's state is, by Rasa's own
   contract, exactly what replaying its events gives).
2. ``applied_events`` walks the whole history on each of its many calls per
   turn (and for each form run, back through it again); :func:`applied_events`
   remembers the answer for an unchanged history and otherwise continues, per
   conversation, from where the last answer stopped.
3. ``Domain.states_for_tracker_history`` (RulePolicy calls it two or three
   times per action it predicts) replays the history again and computes a
   state for every past action. :func:`states_for_tracker_history` keeps, per
   conversation, the states already computed and the replayed tracker, and
   continues from them while the new history starts with exactly the same
   event objects; otherwise it starts again from the beginning.
4. Forms rebuild a temporary tracker by replaying the session before each
   slot validation and question (``FormAction._temporary_tracker``);
   :func:`form_temporary_tracker` copies it as in 1.
5. ``Domain.is_empty`` (asked on every message) builds the whole domain as a
   dictionary twice to compare it with an empty one; a domain with responses,
   actions or forms is not empty, and :func:`domain_is_empty` says so at once.
6. RulePolicy matches its rules against the whole history, state by state,
   though a rule only looks back as many states as it holds (two, in our
   model); :func:`rule_keys_matching` gives it only that many.

Each falls back to Rasa's own code outside the case it was written for
(training trackers, trimmed event histories, rule-only turns), and
tests/bot/test_rasa_trackers.py checks every result against Rasa's.
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict, deque
from typing import Any, Dict, Iterable, List, Optional, Set, Text, Tuple

from rasa.core.actions.forms import FormAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DEFAULT_SENDER_ID, AnySlotDict, DialogueStateTracker

_original_copy = DialogueStateTracker.copy
_original_init_copy = DialogueStateTracker.init_copy
_original_applied_events = DialogueStateTracker.applied_events
_original_states_for_tracker_history = Domain.states_for_tracker_history
_original_temporary_tracker = FormAction._temporary_tracker
_original_is_empty = Domain.is_empty
_original_get_possible_keys = RulePolicy._get_possible_keys

# Conversations whose computed states are kept (least recently used dropped).
REMEMBERED_CONVERSATIONS = 512


def _copy_slot(slot: Slot) -> Slot:
    """``copy.copy(slot)`` without the generic protocol (Slot has no __slots__ or __copy__)."""
    new = object.__new__(type(slot))
    new.__dict__.update(slot.__dict__)
    return new


def _plain(tracker: DialogueStateTracker) -> bool:
    """A live conversation's tracker: the case these shortcuts are written (and tested) for."""
    return (
        type(tracker) is DialogueStateTracker
        and tracker._max_event_history is None
        and not isinstance(tracker.slots, AnySlotDict)
    )


def init_copy(self: DialogueStateTracker) -> DialogueStateTracker:
    """Rasa's ``init_copy``: a new tracker with the same slots at their initial values, no events."""
    if not _plain(self):
        return _original_init_copy(self)
    new = DialogueStateTracker(
        self.sender_id or DEFAULT_SENDER_ID, None, None, is_rule_tracker=self.is_rule_tracker
    )
    new.slots = {name: _copy_slot(slot) for name, slot in self.slots.items()}
    for slot in new.slots.values():
        slot.reset()
    return new


def copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
    """Rasa's ``copy`` (a replay of every event into ``init_copy()``), without the replay."""
    if not _plain(self):
        return _original_copy(self)
    new = object.__new__(DialogueStateTracker)
    new._max_event_history = None
    new.events = deque(self.events)
    new.sender_id = self.sender_id or DEFAULT_SENDER_ID
    new.slots = {name: _copy_slot(slot) for name, slot in self.slots.items()}
    # What init_copy leaves unset, and no event sets.
    new.sender_source = None
    new.model_id = None
    new.assistant_id = None
    new.is_rule_tracker = self.is_rule_tracker
    new._paused = self._paused
    new.followup_action = self.followup_action
    # Events replace these, but some (loop interruptions, rejections) change them in place.
    new.latest_action = dict(self.latest_action) if self.latest_action is not None else None
    new.active_loop = copy.copy(self.active_loop)
    # A replay would hold the very same event objects.
    new.latest_message = self.latest_message
    new.latest_bot_utterance = self.latest_bot_utterance
    return new


class _Applied:
    """One conversation's history as far as its applied events were worked out."""

    __slots__ = ("events", "loop_names", "applied")

    def __init__(self, loop_names: Set[Text]) -> None:
        self.events: List[Event] = []
        self.loop_names = loop_names
        self.applied: List[Event] = []


_applied: "OrderedDict[Any, _Applied]" = OrderedDict()


def _loop_names(events: Iterable[Event]) -> Set[Text]:
    return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}


def _continue_applying(tracker: DialogueStateTracker, entry: _Applied, new_events: List[Event]) -> None:
    """Rasa's loop in ``applied_events``, from where ``entry`` stopped (its helpers read only the
    list they are given)."""
    applied = entry.applied
    for event in new_events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            DialogueStateTracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            DialogueStateTracker._undo_till_previous(UserUttered, applied)
            DialogueStateTracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in entry.loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            DialogueStateTracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    entry.events.extend(new_events)


def _applied_continuing(tracker: DialogueStateTracker) -> List[Event]:
    events = list(tracker.events)
    entry = _applied.get(tracker.sender_id)
    if entry is not None and _same_start(entry.events, events):
        new_events = events[len(entry.events):]
        # Which loops the history holds decides how every earlier loop run is read:
        # a loop seen for the first time means starting again.
        if not _loop_names(new_events) <= entry.loop_names:
            entry = None
    else:
        entry = None
    if entry is None:
        entry = _Applied(_loop_names(events))
        new_events = events
    _continue_applying(tracker, entry, new_events)
    _remember(_applied, tracker.sender_id, entry)
    return entry.applied


def applied_events(self: DialogueStateTracker) -> List[Event]:
    """Rasa's ``applied_events``: continued from the last answer for this conversation,
    and remembered for an unchanged history (the history only grows by appends)."""
    events = self.events
    key = (id(events), len(events), id(events[-1]) if events else 0)
    cached = self.__dict__.get("_council_applied")
    if cached is None or cached[0] != key:
        result = _applied_continuing(self) if _plain(self) else _original_applied_events(self)
        cached = (key, list(result))
        self.__dict__["_council_applied"] = cached
    return list(cached[1])


def _same_start(done: List[Event], events: List[Event]) -> bool:
    """``events`` starts with exactly the event objects ``done`` holds."""
    if len(done) > len(events):
        return False
    return all(a is b for a, b in zip(done, events))


def _remember(cache: "OrderedDict[Any, Any]", key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > REMEMBERED_CONVERSATIONS:
        cache.popitem(last=False)


class _Replay:
    """One conversation's history as far as it was turned into states."""

    __slots__ = ("events", "running", "states")

    def __init__(self, running: DialogueStateTracker) -> None:
        self.events: List[Event] = []
        self.running = running
        self.states: List[State] = []


_replays: "OrderedDict[Tuple[Any, ...], _Replay]" = OrderedDict()


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Optional[Dict[Text, Any]] = None,
) -> List[State]:
    """Rasa's ``states_for_tracker_history`` for RulePolicy's case, continuing from the last call."""
    if ignore_rule_only_turns or not _plain(tracker):
        return _original_states_for_tracker_history(
            self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data
        )
    applied = tracker.applied_events()
    key = (tracker.sender_id, id(self), omit_unset_slots)
    replay = _replays.get(key)
    if replay is None or not _same_start(replay.events, applied):
        replay = _Replay(tracker.init_copy())
    _remember(_replays, key, replay)

    # As in generate_all_prior_trackers: a state before each action, one at the end.
    running = replay.running
    for event in applied[len(replay.events):]:
        if isinstance(event, ActionExecuted):
            replay.states.append(self._clean_state(self.get_active_state(running, omit_unset_slots)))
        running.update(event)
        replay.events.append(event)
    final = self._clean_state(self.get_active_state(running, omit_unset_slots))
    return replay.states + [final]


def form_temporary_tracker(
    self: FormAction, current_tracker: DialogueStateTracker, additional_events: List[Event], domain: Domain
) -> DialogueStateTracker:
    """Rasa's ``FormAction._temporary_tracker`` (a replay of the session since its last restart
    plus the form's own events), by copying the tracker instead."""
    if not _plain(current_tracker) or current_tracker.idx_after_latest_restart() != 0:
        return _original_temporary_tracker(self, current_tracker, additional_events, domain)
    tracker = copy_tracker(current_tracker)
    tracker.is_rule_tracker = False
    for event in [SlotSet(REQUESTED_SLOT, self.get_slot_to_fill(current_tracker)), ActionExecuted(self.name())]:
        tracker.update(event)
    for event in additional_events:
        tracker.update(event)
    return tracker


def domain_is_empty(self: Domain) -> bool:
    """Rasa's ``Domain.is_empty``: an empty domain has no responses, custom actions or forms."""
    if self.responses or self.user_actions or self.form_names:
        return False
    return _original_is_empty(self)


_rule_lengths: Dict[int, Tuple[int, int]] = {}


def _longest_rule(lookup: Dict[Text, Text]) -> int:
    """How many states the longest rule in ``lookup`` holds (worked out once per lookup)."""
    known = _rule_lengths.get(id(lookup))
    if known is None or known[0] != len(lookup):
        longest = max((len(RulePolicy._rule_key_to_state(key)) for key in lookup), default=0)
        known = (len(lookup), longest)
        _rule_lengths[id(lookup)] = known
    return known[1]


# Per rule lookup (held, so its id is not reused): its size when last seen, and the matching
# keys of recent state sequences. The answer depends only on the lookup's keys; training
# removes contradicting rules in place, which changes the size and so empties the memory.
_matches: "OrderedDict[int, Tuple[Dict[Text, Text], int, OrderedDict[str, Set[Text]]]]" = OrderedDict()
REMEMBERED_STATE_SEQUENCES = 4096


def rule_keys_matching(self: RulePolicy, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
    """RulePolicy's ``_get_possible_keys`` on the states a rule can reach: a rule is satisfied by
    any state further back than its own length, so the older states cannot change the answer.

    The answer depends only on the rules and those states, and conversations pass through the
    same few states again and again (a form asking its questions), so it is remembered: checking
    every rule against every state was the largest part of RulePolicy's prediction."""
    longest = _longest_rule(lookup)
    if longest and len(states) > longest:
        states = states[-longest:]
    try:
        key = json.dumps(states, sort_keys=True)
    except (TypeError, ValueError):  # a state Rasa's own rule keys could not hold either
        return _original_get_possible_keys(self, lookup, states)
    held = _matches.get(id(lookup))
    if held is None or held[0] is not lookup or held[1] != len(lookup):
        held = _matches[id(lookup)] = (lookup, len(lookup), OrderedDict())
        while len(_matches) > 4:  # lookups of models no longer served
            _matches.popitem(last=False)
    remembered = held[2]
    found = remembered.get(key)
    if found is None:
        found = remembered[key] = _original_get_possible_keys(self, lookup, states)
        while len(remembered) > REMEMBERED_STATE_SEQUENCES:
            remembered.popitem(last=False)
    else:
        remembered.move_to_end(key)
    return set(found)


def apply() -> None:
    """Install the shortcuts (idempotent)."""
    DialogueStateTracker.copy = copy_tracker  # type: ignore[method-assign]
    DialogueStateTracker.init_copy = init_copy  # type: ignore[method-assign]
    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]
    FormAction._temporary_tracker = form_temporary_tracker  # type: ignore[method-assign]
    Domain.is_empty = domain_is_empty  # type: ignore[method-assign]
    RulePolicy._get_possible_keys = rule_keys_matching  # type: ignore[method-assign]
