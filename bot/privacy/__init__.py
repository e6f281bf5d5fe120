"""Residents' data rights: subject access (an archive of everything held) and erasure.

* :mod:`bot.privacy.subject` finds a person's data from a phone number, an
  email address or a case reference: their SMS conversation (the number's
  link), cases (by reference, contact details or conversation), the
  conversations those came from, conversations in which they gave those
  contact details, and escalations queued with their number.
* :mod:`bot.privacy.archive` puts all of it in one zip: ``data.json``
  (machine-readable), ``summary.html`` (readable, everything escaped) and the
  photos.
* :mod:`bot.privacy.erasure` removes it (anonymising the audit entries that
  named them), held while a case is still open unless forced.

Each storage module reads and deletes its own rows (bot/storage/...); this
package only decides whose rows. ``python -m bot.privacy export|erase`` and
the staff console's privacy page (supervisors) use it; docs/privacy.md
explains it for a data protection officer.
"""
