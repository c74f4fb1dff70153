"""What madoguchi's tests and benchmarks share: signed channel requests, desk sign-in, the conversation
stores (SQLite and PostgreSQL schemas), the recording and mail servers, copies of a built index, a fake
embedder, and the service checks behind the test tiers.

Not shipped (pyproject lists only knowledge, indexer, bot and channels); tests and bench import it, it imports
neither of them.
"""
