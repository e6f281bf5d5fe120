"""bot/rasa_trackers.py gives exactly what Rasa's own tracker code gives, on real conversations.

The conversations are our own stories and rules chained into long sessions, with the events
that rewrite history mixed in (rewinds, undos, restarts, new sessions, rejected and
interrupted forms), grown one event at a time as the server grows them.
"""

from __future__ import annotations

import contextlib
import json
import random
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from rasa.core.actions.forms import FormAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.training import load_data
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    Event,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches, rasa_trackers

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def rasa_only() -> Iterator[None]:
    """Rasa's own methods for the duration (the patches may be installed in this process)."""
    saved = (DialogueStateTracker.copy, DialogueStateTracker.init_copy,
             DialogueStateTracker.applied_events, Domain.states_for_tracker_history, FormAction._temporary_tracker)
    DialogueStateTracker.copy = rasa_trackers._original_copy
    DialogueStateTracker.init_copy = rasa_trackers._original_init_copy
    DialogueStateTracker.applied_events = rasa_trackers._original_applied_events
    Domain.states_for_tracker_history = rasa_trackers._original_states_for_tracker_history
    FormAction._temporary_tracker = rasa_trackers._original_temporary_tracker
    try:
        yield
    finally:
        (DialogueStateTracker.copy, DialogueStateTracker.init_copy,
         DialogueStateTracker.applied_events, Domain.states_for_tracker_history, FormAction._temporary_tracker) = saved


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def stories(domain: Domain) -> List[List[Event]]:
    trackers = load_data(str(ROOT / "data" / "stories"), domain, augmentation_factor=0)
    trackers += load_data(str(ROOT / "data" / "rules"), domain, augmentation_factor=0)
    return [list(t.events) for t in trackers if len(t.events) > 2]


def _history_rewriting_event(rng: random.Random, domain: Domain) -> List[Event]:
    form = rng.choice(list(domain.form_names) or ["a_form"])
    return rng.choice([
        [UserUtteranceReverted()],
        [ActionReverted()],
        [ActionExecuted("action_restart"), Restarted()],
        [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
        [ActionExecutionRejected(form)],
        [LoopInterrupted(True)],
        [ActionExecuted(form), ActiveLoop(form), SlotSet("requested_slot", None)],
        [ActiveLoop(None)],
    ])


def conversation(seed: int, stories: List[List[Event]], domain: Domain) -> List[Event]:
    """A long session: stories one after another, with history-rewriting events mixed in."""
    rng = random.Random(seed)
    events: List[Event] = [ActionExecuted("action_session_start"), SessionStarted(),
                           ActionExecuted("action_listen")]
    for _ in range(rng.randint(10, 16)):
        for event in rng.choice(stories):
            if isinstance(event, ActionExecuted) and event.action_name == "action_listen" and \
                    isinstance(events[-1], ActionExecuted) and events[-1].action_name == "action_listen":
                continue
            # Fresh objects, as a real session's events are.
            events.append(Event.from_parameters(event.as_dict()))
            if rng.random() < 0.06:
                events.extend(_history_rewriting_event(rng, domain))
    return events


def view(tracker: DialogueStateTracker) -> Dict[str, Any]:
    """Everything a tracker's behaviour depends on."""
    state = {k: v for k, v in vars(tracker).items() if k not in ("slots", "events", "_council_applied")}
    state["slots"] = {name: (slot.value, slot.has_been_set, type(slot)) for name, slot in tracker.slots.items()}
    state["events"] = [id(e) for e in tracker.events]
    state["latest_message"] = _event(tracker.latest_message)
    state["latest_bot_utterance"] = _event(tracker.latest_bot_utterance)
    return state


def _same_state(a: DialogueStateTracker, b: DialogueStateTracker) -> bool:
    """Same state and same events in the same order (the events the form adds are new objects each time)."""
    first, second = view(a), view(b)
    for state in (first, second):
        state.pop("events")
        state["latest_message"] = state["latest_message"] if isinstance(state["latest_message"], dict) else None
        state["latest_bot_utterance"] = None
    assert first == second
    assert [_content(e) for e in a.events][-50:] == [_content(e) for e in b.events][-50:]
    return _content(a.latest_message) == _content(b.latest_message)


def _content(event: Event) -> Dict[str, Any]:
    return {k: v for k, v in event.as_dict().items() if k != "timestamp"}


def _event(event: Event) -> Any:
    """The event object itself, or for the empty placeholder a new tracker makes, its content."""
    if getattr(event, "text", None):
        return id(event)
    return {k: v for k, v in event.as_dict().items() if k != "timestamp"}


@pytest.fixture(autouse=True)
def installed() -> Iterator[None]:
    rasa_patches.apply()
    rasa_trackers._replays.clear()
    rasa_trackers._applied.clear()
    yield


def test_the_rasa_server_patches_install_these(domain: Domain) -> None:
    assert DialogueStateTracker.copy is rasa_trackers.copy_tracker
    assert Domain.states_for_tracker_history is rasa_trackers.states_for_tracker_history


@pytest.mark.parametrize("seed", range(8))
def test_every_step_of_a_long_session_matches_rasa(seed: int, domain: Domain,
                                                   stories: List[List[Event]]) -> None:
    events = conversation(seed, stories, domain)
    assert len(events) > 40
    tracker = DialogueStateTracker("resident-%d" % seed, domain.slots)
    forms = sorted(domain.form_names)
    for step, event in enumerate(events):
        tracker.update(event)
        copied = tracker.copy()
        applied = tracker.applied_events()
        states = domain.states_for_tracker_history(tracker)
        states_again = domain.states_for_tracker_history(tracker)
        # The processor's temporary tracker: a copy with a predicted event more. The next step's
        # real event differs from it, so the next step must not continue from this one.
        temporary = tracker.copy()
        temporary.update(ActionExecuted("action_default_fallback"))
        states_of_temporary = domain.states_for_tracker_history(temporary)
        form = FormAction(tracker.active_loop_name or forms[step % len(forms)], None)
        validation = [SlotSet("location", "Mill Lane"), SlotSet("requested_slot", "details")]
        form_tracker = form._temporary_tracker(tracker, validation, domain)
        with rasa_only():
            expected_form_tracker = form._temporary_tracker(tracker, validation, domain)
            expected_copy = tracker.copy()
            expected_applied = tracker.applied_events()
            expected_states = domain.states_for_tracker_history(tracker)
            expected_temporary = domain.states_for_tracker_history(temporary)
            expected_init = tracker.init_copy()
        assert view(copied) == view(expected_copy), step
        assert [id(e) for e in applied] == [id(e) for e in expected_applied], step
        assert states == expected_states == states_again, step
        assert states_of_temporary == expected_temporary, step
        assert view(tracker.init_copy()) == view(expected_init), step
        assert _same_state(form_tracker, expected_form_tracker), step


def _rule_key(states: List[Dict[str, Any]]) -> str:
    return json.dumps(states, sort_keys=True, default=list)


@pytest.mark.parametrize("seed", range(3))
def test_rules_are_matched_as_rasa_matches_them(seed: int, domain: Domain, stories: List[List[Event]]) -> None:
    rng = random.Random(seed)
    policy = object.__new__(RulePolicy)  # matching reads nothing of the policy's own
    tracker = DialogueStateTracker("resident-%d" % seed, domain.slots)
    seen: List[Dict[str, Any]] = []
    for event in conversation(seed, stories, domain):
        tracker.update(event)
        states = domain.states_for_tracker_history(tracker)
        seen.extend(states[-2:])
        # Rules of one to three states, made of states that occur, some from the conversation's start.
        lookup = {}
        for _ in range(40):
            rule = [dict(rng.choice(seen)) for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.2:
                rule[0] = {}
            lookup[_rule_key(rule)] = "utter_x"
        lookup[_rule_key(states[-2:])] = "utter_y"
        assert rasa_trackers.rule_keys_matching(policy, lookup, states) == \
            rasa_trackers._original_get_possible_keys(policy, lookup, states)


def test_a_loop_named_late_changes_how_its_earlier_runs_are_read(domain: Domain) -> None:
    form = sorted(domain.form_names)[0]
    tracker = DialogueStateTracker("resident", domain.slots)
    events = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}), ActionExecuted(form),
              ActionExecuted("action_listen"), UserUttered("Mill Lane", {"name": "inform"}), ActionExecuted(form),
              ActionExecuted("action_listen"), UserUttered("yes", {"name": "affirm"}), ActiveLoop(form),
              ActionExecuted(form)]
    for event in events:
        tracker.update(event)
        applied = tracker.applied_events()
        with rasa_only():
            expected = tracker.applied_events()
        assert [id(e) for e in applied] == [id(e) for e in expected]
    assert len(applied) < len(events)  # the form's later runs folded into the first


def test_a_copy_is_independent_of_the_original(domain: Domain, stories: List[List[Event]]) -> None:
    form = sorted(domain.form_names)[0]
    tracker = DialogueStateTracker("resident", domain.slots)
    for event in conversation(1, stories, domain) + [ActionExecuted(form), ActiveLoop(form)]:
        tracker.update(event)
    copied = tracker.copy()
    copied.update(SlotSet("requested_slot", "location"))
    copied.active_loop.rejected = True  # as a rejection changes it in place
    copied.update(UserUttered("another message", {"name": "inform"}))
    assert tracker.get_slot("requested_slot") != "location"
    assert tracker.active_loop.rejected is False
    assert tracker.latest_message.text != "another message"
    assert len(tracker.events) == len(copied.events) - 2


def test_a_domain_is_empty_exactly_when_rasa_says_so(domain: Domain) -> None:
    for candidate in [domain, Domain.empty(), Domain.from_dict({"intents": ["greet"]}),
                      Domain.from_dict({"responses": {"utter_hi": [{"text": "Hi"}]}})]:
        assert candidate.is_empty() is rasa_trackers._original_is_empty(candidate)
    assert domain.is_empty() is False and Domain.empty().is_empty() is True


def test_trackers_outside_the_shortcut_use_rasas_code(domain: Domain) -> None:
    trimmed = DialogueStateTracker("resident", domain.slots, max_event_history=3)
    for name in ["action_listen", "utter_greet", "action_listen", "utter_goodbye"]:
        trimmed.update(ActionExecuted(name))
    # Replaying a trimmed history forgets what the dropped events did: Rasa's answer, kept.
    with rasa_only():
        expected = view(trimmed.copy())
    assert view(trimmed.copy()) == expected


def test_matches_are_remembered_and_forgotten_when_training_removes_a_rule(
    domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = object.__new__(RulePolicy)
    tracker = DialogueStateTracker("resident", domain.slots)
    for event in [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"})]:
        tracker.update(event)
    states = domain.states_for_tracker_history(tracker)
    lookup = {_rule_key(states[-2:]): "utter_greet", _rule_key(states[-1:]): "utter_x", _rule_key([{}]): "utter_y"}
    expected = rasa_trackers._original_get_possible_keys(policy, lookup, states)
    assert rasa_trackers.rule_keys_matching(policy, lookup, states) == expected

    calls = []
    original = rasa_trackers._original_get_possible_keys
    monkeypatch.setattr(rasa_trackers, "_original_get_possible_keys",
                        lambda *args: calls.append(1) or original(*args))
    again = rasa_trackers.rule_keys_matching(policy, lookup, states)
    assert again == expected and calls == []  # remembered
    again.clear()  # the caller's copy: the memory is not touched
    assert rasa_trackers.rule_keys_matching(policy, lookup, states) == expected

    # RulePolicy's training pops contradicting rules from the same dictionary.
    removed = _rule_key(states[-2:])
    lookup.pop(removed)
    assert removed in expected
    assert rasa_trackers.rule_keys_matching(policy, lookup, states) == expected - {removed}
    assert calls == [1]
