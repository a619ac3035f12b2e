"""Customer pages, probes and the files pages load. Thin: bind a form, call a service, render
or redirect.

- `base.py`: `StartFlowView`, the one start-flow view, and its steps (prefill, guards, the
  start response);
- `flows.py`: home and one small view per start flow (key/PIN, survey, reps, technicians);
- `rendering.py`: how a customer page is rendered (CSP, languages, the closed page);
- `errors.py`: the error pages and Django's handlers; `probes.py`, `assets.py`.
"""

from portal.views.assets import media, theme_css
from portal.views.base import takecontrol_queued
from portal.views.errors import not_set_up
from portal.views.flows import home, reps, reps_json, session_key, survey, technicians
from portal.views.probes import healthz, readyz

__all__ = [
    "healthz",
    "home",
    "media",
    "not_set_up",
    "readyz",
    "reps",
    "reps_json",
    "session_key",
    "survey",
    "takecontrol_queued",
    "technicians",
    "theme_css",
]
