"""Offline demo news site: a handful of invented outlets serving RSS/Atom feeds and realistic
article pages from 127.0.0.1, with the expected pipeline outcome of every article."""
from cfnews.pipeline.demo.catalog import (DemoArticle, DemoOutlet, load_catalog, load_outlets, render_feed,
                                   render_page)
from cfnews.pipeline.demo.site import DemoSite

__all__ = ["DemoArticle", "DemoOutlet", "DemoSite", "load_catalog", "load_outlets",
           "render_feed", "render_page"]
