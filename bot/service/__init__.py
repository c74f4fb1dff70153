"""The city's services between the answering engine and the channels: a conversation turn (answer, store,
follow-ups, readings), publishing an index, importing and exporting the knowledge base, learning runs.

Every channel and the desk call these; none of them imports a channel.
"""
