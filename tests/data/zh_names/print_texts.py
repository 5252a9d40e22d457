"""Print the annotated texts of one split's articles, with their ids only: never their gold names.

For a reading made blind to the gold (issue 17's second reading of test):
    python -m tests.data.zh_names.print_texts --split test --script zh-Hant
"""
from __future__ import annotations

import argparse

from tests.data.zh_names import sources


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", required=True)
    parser.add_argument("--script", choices=("zh-Hant", "zh-Hans"))
    args = parser.parse_args()
    for entry, text in sources.articles():
        if entry["split"] != args.split or (args.script and entry["script"] != args.script):
            continue
        print(f"=== {entry['id']}  ({entry['outlet']})")
        print(text)
        print()


if __name__ == "__main__":
    main()
