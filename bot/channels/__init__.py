"""Input channels. The Rasa server imports this package for credentials.yml,
which is also where our fixes to Rasa's internals are installed (bot/rasa_patches.py)."""

from bot import rasa_patches

rasa_patches.apply()
