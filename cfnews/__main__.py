"""`python -m cfnews …`: the same entry point as the `cfnews` console script."""
from cfnews.pipeline.cli import entry

if __name__ == "__main__":
    entry()
