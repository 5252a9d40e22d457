from cfnews.pipeline.cli import entry

entry()
