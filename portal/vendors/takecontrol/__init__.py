"""N-able Take Control: the adapter (`adapter`), New Session URL, PIN URL and language
(`start_url`), the REST client (`client`) and the session-history columns and CSV export
(`history`).

Vendor facts are in docs/vendors/takecontrol.md; our decisions are listed in
docs/decisions/README.md#take-control.
"""
