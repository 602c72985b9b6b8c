"""The KPI library of the rural e-commerce demonstration dashboard.

Never imports streamlit: the command line, the tests and the exports use it as well as the pages.
Data flows one way: ledger file -> ingest -> DuckDB store -> kpis -> page / CLI / export.
"""
