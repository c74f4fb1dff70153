"""madoguchi's knowledge base: FAQ tables, manuals and internal rules as records.

Also home of what every other package shares: the settings object and the exception tree.
"""

from knowledge.errors import MadoguchiError
from knowledge.records import Audience, LoadResult, Problem, Record
from knowledge.settings import Settings, get_settings
from knowledge.sources import load_sources

__all__ = ["Audience", "LoadResult", "MadoguchiError", "Problem", "Record", "Settings", "get_settings", "load_sources"]
