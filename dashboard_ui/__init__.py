"""The dashboard's shared UI pieces (frame state, KPI card, chart helpers, sign-in, UI strings).

They live beside pages/, not in it: Streamlit lists every file under pages/ as a page, so pages/ holds only pages.
"""
