"""The store: the only package that knows SQL. One audit is one SQLite file.

``database`` opens files safely (and migrates them), ``schema`` holds the migrations, ``events`` the
hash-chained audit trail, and ``meta``, ``population``, ``sampling`` and ``reviews`` the tables of
the audit record, the imported population, the sample, and the reviews. Rows come back as the core's
records (``core.records``) or the store's own small row types, never as dicts.
"""
