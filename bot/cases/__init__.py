"""The case model: what a case is, the statuses it moves through, and its reference.

Everything above it (channels, actions, the delivery worker, back-office
adapters, the console) and storage below it use this package; it imports
nothing of ours, so imports only run downward.
"""
