"""Records and Arrow schemas: the single source of truth for every cfnews output.

Every other package imports from here; this package imports nothing from the project.
"""
from cfnews.schemas.records import (
    Article,
    Entity,
    FeedEntry,
    FeedSource,
    Page,
    Rejected,
    Duplicate,
    utc_from_iso,
    utc_now,
)
from cfnews.schemas.reasons import MAX_ATTEMPTS, Reason, Stage, is_transient
from cfnews.schemas.ids import (
    MAX_ID_LENGTH,
    OUTLET_ID,
    RUN_ID,
    UNKNOWN_OUTLET,
    check_path_parts,
    is_outlet_id,
    is_run_id,
)
from cfnews.schemas.arrow import (
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
    "Article", "Entity", "FeedEntry", "FeedSource", "Page", "Rejected", "Duplicate", "utc_now", "utc_from_iso",
    "Reason", "Stage", "MAX_ATTEMPTS", "is_transient",
    "MAX_ID_LENGTH", "OUTLET_ID", "RUN_ID", "UNKNOWN_OUTLET", "check_path_parts", "is_outlet_id",
    "is_run_id",
    "ARTICLES_SCHEMA", "DUPLICATES_SCHEMA", "REJECTED_SCHEMA", "DATASETS", "PARTITIONING_SCHEMA",
    "SCHEMA_VERSION", "partition_of", "schema_for", "to_row",
]
