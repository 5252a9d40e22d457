"""cfnews.pipeline: options, graph assembly and the command line."""
from cfnews import __version__  # noqa: F401  (the CLI's --version)
