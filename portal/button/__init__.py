"""The "get remote help" button any web page can embed with one script tag
(docs/decisions/0075-get-help-button.md): static/portal/button.js on the host page, and the
availability it shows, from `views.availability`."""
