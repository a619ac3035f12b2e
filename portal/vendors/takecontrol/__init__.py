"""N-able Take Control: New Session URL, PIN URL and language (`start_url`), the REST client
(`client`) and the session-history columns and CSV export (`history`).

Vendor facts and our decisions are in takecontrol.md; its Part 1 is the contract.
"""
