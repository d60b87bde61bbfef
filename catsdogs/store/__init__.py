"""The store: tables, the one write path, spool, retention, training photos, review, datasets."""
