"""The city's services between the answering engine and the channels: a conversation turn (answer, store,
follow-ups, readings), publishing an index (and the desk's background publisher), importing and exporting the
knowledge base, learning runs, and the store's services the desk and the delivery worker call (`desk.py`).

Every channel and the desk call these; none of them imports a channel.
"""
