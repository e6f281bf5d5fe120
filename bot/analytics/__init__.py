"""Service analytics: the rollup of Rasa's conversations (rollup.py), the figures (figures.py), SVG charts
(charts.py), CSV and text output (export.py); the console's dashboard (bot/console/analytics.py) and
``python -m bot.analytics`` show the same figures. Definitions: docs/analytics.md."""
