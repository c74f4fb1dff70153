"""madoguchi's benchmarks: commands whose output goes into BENCHMARKS.md."""
