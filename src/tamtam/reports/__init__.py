"""Reports: sections from the dashboards rendered to HTML, PDF and CSV, scheduled and e-mailed."""
