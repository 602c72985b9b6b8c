"""Loading a ledger: a file -> readers (calamine, CSV) -> the form's structure (titles, merged cells, totals,
footers, hidden parts) -> rules -> rows (column-wise in columnar, row by row in validate, agreeing) -> ingest (one
transaction, the load log, undo). Also the templates clerks fill in. Never imports the KPI side: data flows one way.
"""
