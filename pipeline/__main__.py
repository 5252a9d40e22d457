"""`python -m cfnews.pipeline` still works; `python -m cfnews` is the documented form."""
from cfnews.pipeline.cli import entry

if __name__ == "__main__":
    entry()
