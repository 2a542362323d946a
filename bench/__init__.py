"""Benchmarks: NLU parse latency, full-turn latency under load, memory, against moodbot."""
