"""A fake ClinicalTrials.gov API v2 over real HTTP on 127.0.0.1, serving real corpus records.

Run: ``python -m tests.ctgov_server --port N [--records FILE ...] [--limit N]``; from tests use
``tests.ctgov_server.fixture`` (``running_server()`` or the ``ctgov_server`` fixture).
"""
