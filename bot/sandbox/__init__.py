"""Local stand-ins for external services we cannot reach from here (Twilio)."""
