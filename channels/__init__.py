"""The ways in: the web API and widget, LINE, Slack, the desk and the command line, each a thin adapter over
one core (`bot.service.city.City`), and the server and command line that compose them."""
