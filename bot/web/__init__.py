"""The council website stand-in that hosts the web chat widget (see app.py)."""
