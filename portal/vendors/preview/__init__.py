"""Preview: a backend that starts nothing (docs/decisions/0034-preview-backend.md)."""
