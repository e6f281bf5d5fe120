"""Residents' conversations written into a real Rasa events table, as Rasa's SQL tracker store writes them.

Events are Rasa's own classes, serialised by the tracker store's own row
function (bot/storage/rasa_stores.py), so the analytics rollup reads exactly
what a running Rasa server leaves behind.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from sqlalchemy.engine import Engine

from bot.storage.rasa_stores import CouncilTrackerStore

EVENTS = SQLTrackerStore.SQLEvent.__table__


class Conversations:
    """Builds conversations turn by turn; every method appends events at the given time."""

    def __init__(self, tracker_engine: Engine) -> None:
        self.engine = tracker_engine
        SQLTrackerStore.Base.metadata.create_all(tracker_engine)

    def write(self, sender: str, events: Sequence[Event]) -> None:
        with self.engine.begin() as conn:
            conn.execute(EVENTS.insert(), [CouncilTrackerStore._row(sender, e) for e in events])

    def session(self, sender: str, at: datetime) -> None:
        ts = at.timestamp()
        self.write(sender, [ActionExecuted("action_session_start", timestamp=ts), SessionStarted(timestamp=ts),
                            ActionExecuted("action_listen", timestamp=ts)])

    def says(self, sender: str, at: datetime, intent: str, confidence: float = 0.95, text: str = "hello",
             channel: str = "rest") -> None:
        self.write(sender, [UserUttered(text, {"name": intent, "confidence": confidence},
                                        timestamp=at.timestamp(), input_channel=channel)])

    def action(self, sender: str, at: datetime, name: str, slots: Optional[Dict[str, Any]] = None) -> None:
        ts = at.timestamp()
        events: List[Event] = [ActionExecuted(name, timestamp=ts)]
        events += [SlotSet(slot, value, timestamp=ts) for slot, value in (slots or {}).items()]
        events.append(ActionExecuted("action_listen", timestamp=ts))
        self.write(sender, events)

    def escalate(self, sender: str, at: datetime) -> None:
        ts = at.timestamp()
        self.write(sender, [ActionExecuted("action_escalate", timestamp=ts),
                            BotUttered("OK, I'll pass you to a member of our team.", timestamp=ts),
                            ConversationPaused(timestamp=ts)])

    def staff_reply(self, sender: str, at: datetime, hand_back: bool = False) -> None:
        ts = at.timestamp()
        events: List[Event] = [BotUttered("Hi, Jo from the council here.", metadata={"from_staff": True,
                                                                                       "staff_name": "Jo"},
                                          timestamp=ts)]
        if hand_back:
            events += [ConversationResumed(timestamp=ts), ActionExecuted("action_listen", timestamp=ts)]
        self.write(sender, events)

    def bot(self, sender: str, at: datetime, text: str = "Your report was accepted.") -> None:
        self.write(sender, [BotUttered(text, timestamp=at.timestamp())])

    def question(self, sender: str, at: datetime, kind: str = "bin_day") -> None:
        """A resident asks and the bot answers: 'bin_day' or 'faq'."""
        self.session(sender, at)
        intent, action = {"bin_day": ("bin_day_enquiry", "action_bin_day"), "faq": ("faq", "utter_faq")}[kind]
        self.says(sender, at + timedelta(seconds=5), intent)
        self.action(sender, at + timedelta(seconds=6), action)


__all__ = ["Conversations", "EVENTS"]
