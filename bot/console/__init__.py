"""The staff console: a sanic app where contact-centre staff take over conversations.

``python -m bot.console serve`` runs it; ``python -m bot.console create-admin``
makes the first admin account. See bot/console/app.py for the shape.
"""
