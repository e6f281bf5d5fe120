"""The delivery worker: takes cases from the outbox to their back offices and reads their progress.

``python -m bot.outbox`` runs it (``make run`` starts one). The action server
only writes a case and its outbox row in one transaction (bot/storage/cases.py);
this worker delivers each row exactly once (store.py: leases, ``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, a single active worker on SQLite), retries with
exponential backoff and jitter, flags cases for staff when delivery keeps
failing, polls back offices for status changes and tells residents who asked
to be contacted (notify.py).
"""
