"""A conversation's language: identifying it, the resident's choice, keeping it (docs/languages.md)."""
