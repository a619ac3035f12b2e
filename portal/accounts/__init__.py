"""Django's user commands held to the portal's password rules (README, "Passwords").

An app of its own because Django runs a management command from the first app in
INSTALLED_APPS that has it: this one stands before `django.contrib.auth`, and nothing else of
the portal needs to."""
