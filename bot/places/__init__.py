"""The council's streets: the gazetteer, and recognising places in what residents write.

``gazetteer.py`` says what a gazetteer is (the :class:`Gazetteer` protocol and
its records); ``csv_gazetteer.py`` is the built-in adapter, which loads the
council's street list from a CSV file (``council/gazetteer.csv``; columns in
``docs/places.md``); ``coordinates.py`` converts British National Grid
eastings/northings to latitude/longitude; ``matching.py`` finds streets in
free text (typos, abbreviations, house numbers, landmarks).
"""
