-- BigQuery external tables over cfnews' Hive-partitioned Parquet on Cloud Storage.
-- Render and run with deploy/bigquery/create_tables.sh (it fills in the three placeholders):
--   ${PROJECT}  the Google Cloud project       ${DATASET}  the BigQuery dataset
--   ${ROOT}     the cfnews --out folder, e.g. gs://my-bucket/cfnews (no trailing slash)
--
-- The partition columns come from the folder names (date=YYYY-MM-DD/outlet=ID), typed here
-- explicitly; every other column is read from the Parquet schema. enable_list_inference makes
-- list<string> columns (people, places, authors, …) plain ARRAY<STRING>, and entities
-- ARRAY<STRUCT<text, label, start, end, kb_id, canonical>>. `_staging/` sits outside the three
-- dataset folders, so files being written are never read.
--
-- Schema evolution: BigQuery takes the schema from the files when the table is created. After
-- a schema_version that adds columns, run this file again (CREATE OR REPLACE) to see them;
-- rows from older files read NULL there.

CREATE OR REPLACE EXTERNAL TABLE `${PROJECT}.${DATASET}.articles`
WITH PARTITION COLUMNS (date DATE, outlet STRING)
OPTIONS (
  format = 'PARQUET',
  uris = ['${ROOT}/articles/*'],
  hive_partition_uri_prefix = '${ROOT}/articles',
  require_hive_partition_filter = false,
  enable_list_inference = true
);

CREATE OR REPLACE EXTERNAL TABLE `${PROJECT}.${DATASET}.duplicates`
WITH PARTITION COLUMNS (date DATE, outlet STRING)
OPTIONS (
  format = 'PARQUET',
  uris = ['${ROOT}/duplicates/*'],
  hive_partition_uri_prefix = '${ROOT}/duplicates',
  require_hive_partition_filter = false,
  enable_list_inference = true
);

CREATE OR REPLACE EXTERNAL TABLE `${PROJECT}.${DATASET}.rejected`
WITH PARTITION COLUMNS (date DATE, outlet STRING)
OPTIONS (
  format = 'PARQUET',
  uris = ['${ROOT}/rejected/*'],
  hive_partition_uri_prefix = '${ROOT}/rejected',
  require_hive_partition_filter = false,
  enable_list_inference = true
);

-- First queries (partition filters on `date` prune the files read, and the bytes billed):
--   SELECT date, outlet, COUNT(*) AS stories FROM `${PROJECT}.${DATASET}.articles`
--   WHERE date >= DATE_SUB(CURRENT_DATE(), INTERVAL 7 DAY) GROUP BY 1, 2 ORDER BY 1, 2;
--
--   SELECT a.title, a.outlet AS first_outlet,
--          ARRAY_AGG(d.outlet ORDER BY d.published_at) AS carried_by
--   FROM `${PROJECT}.${DATASET}.articles` a
--   JOIN `${PROJECT}.${DATASET}.duplicates` d USING (cluster_id)
--   GROUP BY 1, 2 ORDER BY ARRAY_LENGTH(carried_by) DESC;
--
--   SELECT DATE_TRUNC(date, ISOWEEK) AS week, person, COUNT(*) AS articles
--   FROM `${PROJECT}.${DATASET}.articles`, UNNEST(people) AS person
--   GROUP BY 1, 2 QUALIFY RANK() OVER (PARTITION BY week ORDER BY articles DESC) <= 10;
