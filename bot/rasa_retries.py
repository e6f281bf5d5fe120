"""A message sent twice is answered once: retries across Rasa replicas.

With several Rasa servers behind HAProxy (issue 14), a replica can die after it
has handled a message but before its answer reaches the client; HAProxy then
sends the same request to another replica. Rasa gives every message a new id,
so the retry was a second turn, and a report confirmed in it a second case (the
case's idempotency key is the conversation and the message id:
actions/reports.py).

Clients that can retry send their own message id (the REST channel's
``message_id``, bot/channels/rest.py; the web chat widget's, bot/channels/web.py); the channel marks such messages with
``CLIENT_MESSAGE_ID`` in their metadata. For those, :func:`handle_message`
(running inside the conversation's lock, as Rasa's own does) first looks for the
id in the conversation: if a turn already handled it, the bot's answers of that
turn are sent again and nothing else happens; otherwise the message is handled
as usual, with the client's id, so a case its first attempt made before dying
is found again instead of made twice.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

# The metadata key the channels set on a message whose id the client chose.
from bot.channels.message_ids import CLIENT_MESSAGE_ID

_original_handle_message = MessageProcessor.handle_message


def answers_already_given(tracker: DialogueStateTracker, message_id: Text) -> Optional[List[BotUttered]]:
    """The bot's answers in the turn that handled the message ``message_id`` if the conversation
    already has it, else None.

    Only the turn's own answers: each follows an action of that turn, and the turn ends at
    ``action_listen``. A staff reply or a case update appended afterwards (through Rasa's HTTP API,
    or while the conversation is paused with staff, when no action runs at all) is not an answer
    to the message, and the resident has had it already: sent again, it was shown twice.
    """
    answers: Optional[List[BotUttered]] = None
    in_turn = False
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if answers is not None:
                break
            if event.message_id == message_id:
                answers = []
        elif answers is None:
            continue
        elif isinstance(event, ActionExecuted):
            if event.action_name == ACTION_LISTEN_NAME:
                break
            in_turn = True
        elif in_turn and isinstance(event, BotUttered):
            answers.append(event)
    return answers


async def handle_message(self: MessageProcessor, message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
    """Rasa's ``MessageProcessor.handle_message``, answering a repeated client message id from the record."""
    if message.message_id and (message.metadata or {}).get(CLIENT_MESSAGE_ID):
        tracker = await self.tracker_store.retrieve(message.sender_id)
        answers = answers_already_given(tracker, message.message_id) if tracker is not None else None
        if answers is not None:
            for answer in answers:
                await message.output_channel.send_response(message.sender_id, answer.message())
            if isinstance(message.output_channel, CollectingOutputChannel):
                return message.output_channel.messages
            return None
    return await _original_handle_message(self, message)


def apply() -> None:
    """Install the check (idempotent)."""
    MessageProcessor.handle_message = handle_message  # type: ignore[method-assign]
