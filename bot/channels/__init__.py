"""Input channels: rest.py, web.py (socket.io), sms.py (Twilio), all behind guard.py."""
