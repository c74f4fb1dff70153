"""Learning from a city's own labelled questions: `madoguchi learn`.

labels   which labels can be used, the deterministic training / held-out split, paraphrases from labels
folds    out-of-fold candidates and the refitted decision model (no question sees its own paraphrase)
guard    the held-out comparison that decides whether anything learned goes live
loop     the whole run, from a labelled file to a verdict and the index to publish
"""
