"""The benchmark and its harness: `python -m metrics bench` (or `python -m benchmarks`).

It drives the whole dashboard (AppTest, Streamlit servers, Chromium, a light websocket client), so it lives beside
the library, not in it: `metrics` never imports streamlit or the UI package. The browser tests share its server
harness (`benchmarks.harness.streamlit_server`). bench.py makes the table, measure.py the measurements (each in a
fresh process), harness.py runs them, fixtures.py makes the files they read.
"""
