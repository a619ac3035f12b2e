"""Every vendor limit in one place, in the unit the vendor counts
(docs/decisions/0025-limits-in-the-vendors-units.md).

BeyondTrust: docs/decisions/0005-beyondtrust-limits.md. Take Control:
docs/decisions/0014-takecontrol-redirect-start.md.
"""

CODE_NAME_PATTERN = r"\A[A-Za-z0-9_-]{1,64}\Z"  # \Z: a trailing newline is not a code name
CODE_NAME_MAX = 64

# BeyondTrust
CUSTOMER_TEXT_MAX_CHARS = 100  # customer.name, customer.company, customer.company_code
DETAILS_MAX_BYTES = 1024  # customer.details, UTF-8 bytes
LEGACY_DESC_MAX_CHARS = 1024  # legacy .ns customer_desc: characters, as the old guide says
CUSTOM_FIELD_MAX_CHARS = 1024  # each session.custom.* value, external key included
CUSTOM_TOTAL_MAX_BYTES = 10_000  # all session.custom.* values together, UTF-8 bytes
EXTERNAL_KEY_CODE = "external_key"
SESSION_KEY_LENGTH = 7
SESSION_KEY_PATTERN = rf"[A-Za-z0-9]{{{SESSION_KEY_LENGTH}}}"  # fullmatch: the key and nothing else
TIMEZONE_OFFSET_MIN = -720
TIMEZONE_OFFSET_MAX = 840
PRIORITIES = (1, 2, 3)

# Take Control (characters)
TC_NAME_MAX_CHARS = 128
TC_EMAIL_MAX_CHARS = 64
TC_NUMBER_MAX_CHARS = 32
TC_DESCRIPTION_MAX_CHARS = 1024
TC_PIN_LENGTH = 9


def utf8_len(value: str) -> int:
    return len(value.encode("utf-8"))
