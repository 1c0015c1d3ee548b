"""Every benchmark in one run, each against its plain peer, ratios printed side by side:
cold starts of 10_01-10_03 (plain pandas/scikit-learn/matplotlib scripts), 11_01 (plain
scikit-learn), 13_01 (the plain dense script), 12_01 and 12_02 on Spark (a plain PySpark script), the DB nodes
(pandas to_sql/read_sql on sqlite3), the CSV Reader (pandas.read_csv).

Run: python benchmarks/run_all.py [--quick]
(`--quick`: one round each, 13_01 on its first 500 molecules; the full run takes ~15 min.)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rounds = "1" if args.quick else "3"
    runs = [
        ["bench_cold_start.py", "--repeat", "2" if args.quick else "5"],
        ["bench_11_01.py", "--repeat", rounds],
        ["bench_13_01.py", "--repeat", rounds, *(["--small"] if args.quick else [])],
        ["bench_spark.py", "--repeat", rounds],
        ["bench_database.py", "--repeat", rounds, *(["--rows", "20000"] if args.quick else [])],
        ["bench_csv_reader.py", "--repeat", "3" if args.quick else "7"],
    ]
    failed = 0
    for script, *options in runs:
        print(f"\n===== {script} {' '.join(options)}", flush=True)
        code = subprocess.run([sys.executable, str(ROOT / script), *options], check=False).returncode
        if code:
            print(f"({script} ended with exit code {code})")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
