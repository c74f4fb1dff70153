"""The ways in: the command line now; the web widget, LINE and Slack as thin adapters over one core."""
