"""Benchmarks for the glossary bot: `make bench` (a few minutes) or `make bench QUICK=1` (about a minute).

One table, printed and written with a description of the machine to bench/RESULTS.md. Each area has
its module; every figure is measured after a warm-up, over many calls, as a median and a 99th
percentile (bench/timing.py), and every baseline in the same run on the same inputs, call by call.

- bench/data.py: deterministic glossaries of 1,000, 10,000 and 100,000 terms and the query sets;
- bench/autocomplete.py: `GlossaryIndex.complete` per keystroke, against difflib and rapidfuzz, recall;
- bench/define.py: `/define` from interaction to payload (resolve, SQLite read, render);
- bench/quality.py: matching quality on the real glossaries of ../shared/datasets, by kind of query:
  the /define answer (top-1), autocomplete's first five (top-5), "No entry" for everyday phrases;
- bench/start.py (+ bench/startup.py): start to ready and memory, each start a fresh process;
- bench/imports.py: importing 1,000 to 100,000 entries in one transaction, against plain `executemany`;
- bench/e2e.py: the real client through the fake Discord: throughput, event-loop lag, the broadcast.

Everything talks to 127.0.0.1 only (the fake Discord of tests/e2e), in bounded numbers of requests.
"""
