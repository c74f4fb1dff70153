"""What every layer of madoguchi shares: the one settings object and the one exception tree.

Kept apart from the content loaders beside it so that reading a setting or raising an error never pulls in a
parser, and so that the lowest layer has an obvious home for the project's shared core.
"""
