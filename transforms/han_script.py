"""Traditional Chinese as Simplified, one character for one: the copy the Chinese names tagger
reads (transforms/zh_names.py) and the form the dedup fingerprints (transforms/fingerprint.py),
so that one text published in both scripts is one text to the dedup."""
from __future__ import annotations

import functools
import os
from typing import Dict


def _char_table(name: str) -> Dict[str, str]:
    """One character -> one character (first reading) of one of OpenCC's dictionary files."""
    import opencc
    path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", name)
    table: Dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            source, _, targets = line.rstrip("\n").partition("\t")
            first = targets.split(" ")[0] if targets else ""
            if len(source) == 1 and len(first) == 1:
                table[source] = first
    return table


@functools.lru_cache(maxsize=1)
def _to_simplified() -> Dict[int, str]:
    """Traditional -> Simplified, one character for one (OpenCC's character table, first
    reading), so that offsets into the copy are offsets into the original. Hong Kong and Taiwan
    variant characters the table lacks go through their standard form first (OpenCC's
    HKVariantsRev / TWVariantsRev: "衞生署" -> 衛 -> "卫生署", as in "衛生署")."""
    table = _char_table("TSCharacters.txt")
    for name in ("HKVariantsRev.txt", "TWVariantsRev.txt"):
        for variant, standard in _char_table(name).items():
            if variant not in table and standard in table and table[standard] != variant:
                table[variant] = table[standard]   # only where the standard form is one the
                # table simplifies: not "著" -> 着 nor "抬" -> 擡, which are Simplified too
    return {ord(source): target for source, target in table.items()}


def simplified(text: str) -> str:
    return text.translate(_to_simplified())
