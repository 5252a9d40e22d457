"""Write deploy/dataflow/metadata.json from cfnews' pipeline options, one parameter per option,
plus Beam's `streaming` flag (it picks the streaming graph). Run after changing
pipeline/options.py, then commit the result (tests/test_deploy.py checks the two agree):

    .venv/bin/python deploy/dataflow/make_metadata.py
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from cfnews.pipeline.options import CfnewsOptions  # noqa: E402

OUTPUT = HERE / "metadata.json"
FLAG_REGEX = "^(true|false)$"
TYPE_REGEX = {int: "^[0-9]+$", float: "^[0-9]+([.][0-9]+)?$"}
LIST_REGEX = "^[^,]+(,[^,]+)*$"
# Beam options the template exposes besides cfnews' own.
BEAM_PARAMETERS = [{
    "name": "streaming", "label": "Streaming",
    "helpText": "true: run the streaming graph (poll the feeds continuously); "
                "false or absent: one bounded run (feeds once, or the manifest).",
    "isOptional": True, "parameterType": "BOOLEAN", "regexes": [FLAG_REGEX],
}]
# Where an option's help says nothing about where its value may live.
OVERRIDES = {
    "out": {"parameterType": "GCS_WRITE_FOLDER", "regexes": ["^gs://[^/]+(/.*)?$"],
            "isOptional": False,
            "helpText": "Output folder on Cloud Storage (gs://BUCKET/PATH): the articles/, "
                        "duplicates/ and rejected/ datasets go under it."},
    "feeds": {"helpText": "Feeds file (YAML), gs:// or a path inside the image. Default: the "
                          "feeds.yaml baked into the image, unless a manifest is given."},
    "manifest": {"helpText": "Backfill manifest (JSONL) on Cloud Storage: ingest saved pages "
                             "instead of polling feeds."},
    # run ids become file and folder names: the same bounded id the options check
    "run_id": {"regexes": ["^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"]},
}


def cfnews_actions():
    parser = argparse.ArgumentParser(add_help=False)
    CfnewsOptions._add_argparse_args(parser)  # pylint: disable=protected-access
    return [a for a in parser._actions if a.option_strings]  # pylint: disable=protected-access


def parameter(action) -> dict:
    name = action.option_strings[0].lstrip("-")
    is_flag = isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction))
    help_text = (action.help or name.replace("_", " ")).rstrip(".")
    if not is_flag and action.default not in (None, [], ""):
        help_text += f". Default: {action.default}"
    param = {"name": name, "label": name.replace("_", " ").capitalize(),
             "helpText": help_text[0].upper() + help_text[1:] + ".",
             "isOptional": not action.required, "parameterType": "TEXT"}
    if is_flag:
        param.update(parameterType="BOOLEAN", regexes=[FLAG_REGEX])
    elif action.nargs in ("*", "+"):
        param["regexes"] = [LIST_REGEX]
        param["helpText"] += " Several values: comma-separated."
    elif action.type in TYPE_REGEX:
        param["regexes"] = [TYPE_REGEX[action.type]]
    param.update(OVERRIDES.get(name, {}))
    return param


def metadata() -> dict:
    return {
        "name": "cfnews",
        "description": "China–France news: feeds -> fetch -> extract -> language -> relevance -> "
                       "dedup -> entities -> Hive-partitioned Parquet on Cloud Storage. Batch "
                       "(feeds once, or a backfill manifest) or streaming (streaming=true).",
        "parameters": [parameter(a) for a in cfnews_actions()] + BEAM_PARAMETERS,
    }


def render() -> str:
    return json.dumps(metadata(), indent=2, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    text = render()
    if argv and "--check" in argv:
        same = OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == text
        print("metadata.json is up to date" if same else "metadata.json differs: regenerate it")
        return 0 if same else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
