"""Strict flags: what the command line may pass on to Beam, and the two spellings of ours.

cfnews' own flags are accepted as `--x-y` and `--x_y`; anything else must be an option that
Beam itself (or a cfnews PipelineOptions class) declares, or the command stops with a usage
error before anything runs: a misspelt flag is never silently a Beam warning. A Beam option
given as `--x-y` is passed on as `--x_y` when that is the name Beam declares."""
from __future__ import annotations

import argparse
import difflib
import functools
from typing import FrozenSet, Iterable, List, Tuple


def spellings(name: str) -> List[str]:
    """['--x-y', '--x_y'] for 'x-y' or 'x_y' (one entry when the name has neither)."""
    hyphen, underscore = "--" + name.replace("_", "-"), "--" + name.replace("-", "_")
    return [hyphen] if hyphen == underscore else [hyphen, underscore]


def _walk(cls) -> Iterable[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _walk(sub)


def _names_of(option_classes) -> FrozenSet[str]:
    from apache_beam.options.pipeline_options import _BeamArgumentParser
    names = set()
    for cls in option_classes:
        parser = _BeamArgumentParser(add_help=False)
        try:
            cls._add_argparse_args(parser)
        except argparse.ArgumentError:  # a class re-declaring an option: names still count
            pass
        for action in parser._actions:
            names.update(s for s in action.option_strings if s.startswith("--"))
    return frozenset(names)


@functools.lru_cache(maxsize=1)
def option_names() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """(Beam's own option names, cfnews' PipelineOptions names), each like '--runner'."""
    import apache_beam  # noqa: F401  (loads the SDK's option classes: GCP, AWS, portable, ...)
    from apache_beam.options import pipeline_options
    from apache_beam.options.pipeline_options import PipelineOptions
    import cfnews.pipeline.local_runner  # noqa: F401  (LocalWorkerOptions)
    import cfnews.pipeline.options  # noqa: F401  (CfnewsOptions)
    for module in ("apache_beam.runners.dataflow.dataflow_runner",
                   "apache_beam.runners.portability.portable_runner"):
        try:
            __import__(module)
        except Exception:  # an optional extra that is not installed (or does not import)
            pass
    classes = [PipelineOptions] + list(dict.fromkeys(_walk(PipelineOptions)))
    ours = [c for c in classes if c.__module__.startswith("cfnews.pipeline.")]
    beams = [c for c in classes if c not in ours]
    del pipeline_options
    return _names_of(beams), _names_of(ours)


class UnknownFlag(Exception):
    pass


def _looks_like_value(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return not token.startswith("-")


def pass_through(tokens: List[str], known: Iterable[str] = ()) -> List[str]:
    """Tokens argparse left over, checked and normalised for Beam's PipelineOptions:
    an option spelt `--x-y` (ours or Beam's) becomes `--x_y` when that is a declared name;
    an unknown flag raises UnknownFlag with a suggestion."""
    beam_names, our_names = option_names()
    out = []
    for token in tokens:
        if _looks_like_value(token):
            out.append(token)
            continue
        name, sep, value = token.partition("=")
        canonical = "--" + name.lstrip("-").replace("-", "_")
        if name.startswith("--") and canonical in our_names:
            out.append(canonical + sep + value)
        elif name in beam_names:
            out.append(token)
        elif name.startswith("--") and canonical in beam_names:
            # Beam spells its options with `_`; `--temp-location` means `--temp_location`
            out.append(canonical + sep + value)
        else:
            every = beam_names | our_names | set(known)
            # one spelling of each of ours in suggestions: the hyphenated one
            candidates = sorted(c for c in every if not (c.startswith("--") and "_" in c
                                                         and c.replace("_", "-") in every))
            close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75) or \
                difflib.get_close_matches(canonical, candidates, n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UnknownFlag(f"unknown flag {name}{hint}: neither a cfnews flag nor a Beam "
                              "pipeline option (see `cfnews options`)")
    return out
