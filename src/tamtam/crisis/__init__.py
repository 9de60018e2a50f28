"""Crisis: detectors, alert rules, alerts, incidents, crisis mode, notifications."""
