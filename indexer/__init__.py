"""Japanese text into an index and back: Sudachi normalisation, embeddings, BM25 and FAISS per field, the
versioned index store. Imports nothing from `bot` or `channels`."""
