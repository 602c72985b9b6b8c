"""The platform: the DuckDB file and what guards it.

store (connect, schema, migrations, data version), derived tables (rebuilt in every load and undo transaction),
auth (accounts, roles, sign-in throttle), sandbox (the analyst's capped SQL child), maintenance (backup, restore,
re-keying), privacy (the ID hash key) and pii (the personal-data screen every load and every output uses).
"""
