"""The store: the only package that knows SQL. One audit is one SQLite file."""
