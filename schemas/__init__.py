"""Records and Arrow schemas: the single source of truth for every cfnews output.

Every other package imports from here; this package imports nothing from the project.
"""
from schemas.records import (
    Article,
    Entity,
    FeedEntry,
    FeedSource,
    Page,
    Rejected,
    Duplicate,
    utc_now,
)
from schemas.reasons import Reason, Stage
from schemas.arrow import (
    ARTICLES_SCHEMA,
    DUPLICATES_SCHEMA,
    REJECTED_SCHEMA,
    DATASETS,
    PARTITIONING_SCHEMA,
    SCHEMA_VERSION,
    partition_of,
    schema_for,
    to_row,
)

__all__ = [
    "Article", "Entity", "FeedEntry", "FeedSource", "Page", "Rejected", "Duplicate", "utc_now",
    "Reason", "Stage",
    "ARTICLES_SCHEMA", "DUPLICATES_SCHEMA", "REJECTED_SCHEMA", "DATASETS", "PARTITIONING_SCHEMA",
    "SCHEMA_VERSION", "partition_of", "schema_for", "to_row",
]
