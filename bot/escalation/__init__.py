"""Stepping aside for a person: when to escalate, staffed hours, handing a conversation over."""
