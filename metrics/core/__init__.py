"""The core: what every other family stands on and which imports nothing above it.

errors (the one error family), i18n and locales/ (one catalogue per language), config (data/county.toml), datasets
(the ledger contract as data) and registry (the KPI contract as data: each KPI's value and rows SQL, its words by
key). The registry sits here beside the ledger contract rather than in kpi/, because the configuration checks its
targets, evaluation points and references against it when it loads, and the core may not reach upward.
"""
