"""Residents on the city website: the HTTP API, the chat widget and its demo page (the app is assembled in
`channels.server`)."""
