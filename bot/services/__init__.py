"""Support-desk services: hours, hotlines, severity, contracts, cases (no Rasa here)."""
