-- cfnews views for DuckDB: the three datasets, and the first questions an analyst asks.
--
--   duckdb cfnews.duckdb -c "SET VARIABLE cfnews_root = 'DIR'" -c ".read deploy/duckdb/views.sql"
--   duckdb cfnews.duckdb -c "SET VARIABLE cfnews_root = 'DIR'" -c "FROM stories_per_day"
--
-- DIR is the folder given to `cfnews --out` (local, s3://…, or gs://… with DuckDB's httpfs).
-- The views read the files each time they are queried, so new runs show up at once; the root
-- is read from the variable at query time, so set it in every session (first line above).
-- Each of the three datasets needs at least one file when the views are created (DuckDB
-- stops with "No files found that match the pattern …/<dataset>/**/*.parquet");
-- `cfnews sql` defines the same views with an empty one for a dataset without files.
-- union_by_name: files of a later schema_version (which only adds nullable columns) read
-- together with older ones; the older rows get NULL in the new columns.

-- Texts the source did not give are NULL; files written before 2026-12-05 held '' for them,
-- read here as NULL too, so `count(summary)` and `summary IS NULL` mean one thing lake-wide.

-- Every row ever written, one per run that processed the entry (`--reprocess` adds rows
-- beside the old ones): the `*_all_versions` views.
CREATE OR REPLACE VIEW articles_all_versions AS
SELECT * REPLACE (nullif(summary, '') AS summary, nullif(site_name, '') AS site_name,
                  nullif(language, '') AS language)
FROM (SELECT * FROM read_parquet(getvariable('cfnews_root') || '/articles/**/*.parquet',
                                 hive_partitioning = true, union_by_name = true)
      UNION ALL BY NAME (SELECT NULL::VARCHAR AS story_id WHERE false));  -- files before v3

CREATE OR REPLACE VIEW duplicates_all_versions AS
SELECT * REPLACE (nullif(summary, '') AS summary, nullif(site_name, '') AS site_name,
                  nullif(language, '') AS language)
FROM (SELECT * FROM read_parquet(getvariable('cfnews_root') || '/duplicates/**/*.parquet',
                                 hive_partitioning = true, union_by_name = true)
      UNION ALL BY NAME (SELECT NULL::VARCHAR AS story_id WHERE false));  -- files before v3

CREATE OR REPLACE VIEW rejected_all_versions AS
SELECT * REPLACE (nullif(url, '') AS url, nullif(title, '') AS title,
                  nullif(error, '') AS error, nullif(entry_id, '') AS entry_id)
FROM read_parquet(getvariable('cfnews_root') || '/rejected/**/*.parquet',
                  hive_partitioning = true, union_by_name = true);

-- The current version of every article id: the rows written for it by the last run that
-- processed it, in whichever dataset they are (a reprocessed entry may move, e.g. from
-- `articles` to `duplicates` or `rejected`, or to another date). The last run is the greatest
-- `run_id`: a run id starts with the run's UTC start time, and runs on one folder never overlap
-- (the writer lock; on object stores, the scheduler's job). One run may write several rows of
-- one id (the first entry of a URL in `articles`, other outlets' entries of the same URL in
-- `duplicates`): all are current. Here, the runs come from two narrow columns (present in
-- every schema_version) of every file, read whatever the query filters on; `cfnews sql` on a
-- local folder reads them from a cache under DIR/_index instead (pipeline/versions.py), which
-- it brings up to date by reading only the files written since, so a query filtered on
-- `date`/`outlet` reads only those partitions.
CREATE OR REPLACE VIEW _cfnews_articles_runs AS
SELECT article_id, run_id FROM read_parquet(getvariable('cfnews_root') || '/articles/**/*.parquet');

CREATE OR REPLACE VIEW _cfnews_duplicates_runs AS
SELECT article_id, run_id FROM read_parquet(getvariable('cfnews_root') || '/duplicates/**/*.parquet');

CREATE OR REPLACE VIEW _cfnews_rejected_runs AS
SELECT article_id, run_id FROM read_parquet(getvariable('cfnews_root') || '/rejected/**/*.parquet')
WHERE article_id <> '';

CREATE OR REPLACE VIEW _cfnews_runs AS
SELECT DISTINCT article_id, run_id
FROM (FROM _cfnews_articles_runs UNION ALL FROM _cfnews_duplicates_runs
      UNION ALL FROM _cfnews_rejected_runs);

-- The versions that are not current: (article id, run) of every earlier run that wrote an id
-- a later run wrote again. Few (only what was reprocessed or retried), so the views below
-- keep a row unless it is listed here.
CREATE OR REPLACE VIEW _cfnews_old AS
SELECT article_id, run_id
FROM (SELECT article_id, run_id, max(run_id) OVER (PARTITION BY article_id) AS current_run
      FROM _cfnews_runs)
WHERE run_id <> current_run;

-- Per article id: the run whose rows are current, and how many runs wrote the id.
CREATE OR REPLACE VIEW article_versions AS
SELECT article_id, max(run_id) AS current_run, count(*) AS runs
FROM _cfnews_runs
GROUP BY article_id;

-- `articles`, `duplicates`, `rejected`: the current rows only, so a count never doubles after
-- `--reprocess`. Feed-level rejections (empty article_id: one row per failed poll) are all kept.
CREATE OR REPLACE VIEW articles AS
SELECT * FROM articles_all_versions
WHERE (article_id, run_id) NOT IN (SELECT (article_id, run_id) FROM _cfnews_old);

CREATE OR REPLACE VIEW duplicates AS
SELECT * FROM duplicates_all_versions
WHERE (article_id, run_id) NOT IN (SELECT (article_id, run_id) FROM _cfnews_old);

CREATE OR REPLACE VIEW rejected AS
SELECT * FROM rejected_all_versions
WHERE coalesce(article_id, '') = ''
   OR (article_id, run_id) NOT IN (SELECT (article_id, run_id) FROM _cfnews_old);

-- The views below that read both `articles` and `duplicates` apply their rule (current rows
-- only) themselves, with the old versions listed once per query (MATERIALIZED), not once
-- per dataset.

-- Stories per day by outlet. `stories` counts distinct stories (`story_id`: an outlet's two
-- reports of one event from the same source material are one story), `articles` its rows in
-- `articles`. An outlet's copy of another outlet's story is in `duplicates`; `copies` counts
-- them on the day the copy was published.
CREATE OR REPLACE VIEW stories_per_day AS
WITH old AS MATERIALIZED (FROM _cfnews_old),
     originals AS (SELECT date, outlet,
                          count(DISTINCT coalesce(story_id, article_id)) AS stories,
                          count(*) AS articles
                   FROM articles_all_versions
                   WHERE (article_id, run_id) NOT IN (SELECT (article_id, run_id) FROM old)
                   GROUP BY ALL),
     copies AS (SELECT date, outlet, count(*) AS copies FROM duplicates_all_versions
                WHERE (article_id, run_id) NOT IN (SELECT (article_id, run_id) FROM old)
                GROUP BY ALL)
SELECT date, outlet, coalesce(stories, 0) AS stories, coalesce(articles, 0) AS articles,
       coalesce(copies, 0) AS copies
FROM originals FULL JOIN copies USING (date, outlet)
ORDER BY date, outlet;

-- Wire stories: every story carried by more than one outlet, who had it first, who followed
-- (each copy, in order; an outlet that ran it again is listed again) and how long after.
-- `outlets` counts distinct outlets, the first one included.
CREATE OR REPLACE VIEW wire_stories AS
WITH old AS MATERIALIZED (FROM _cfnews_old),
     articles AS (SELECT * FROM articles_all_versions
                  WHERE (article_id, run_id) NOT IN (SELECT (article_id, run_id) FROM old)),
     duplicates AS (SELECT * FROM duplicates_all_versions
                    WHERE (article_id, run_id) NOT IN (SELECT (article_id, run_id) FROM old))
SELECT a.cluster_id,
       a.title,
       a.outlet AS first_outlet,
       coalesce(a.published_at, a.discovered_at) AS first_at,
       list(d.outlet ORDER BY coalesce(d.published_at, d.discovered_at), d.outlet)
           AS carried_by,
       count(DISTINCT d.outlet) + (count(*) FILTER (WHERE d.outlet = a.outlet) = 0)::INT
           AS outlets,
       max(coalesce(d.published_at, d.discovered_at)) - coalesce(a.published_at, a.discovered_at)
           AS spread
FROM articles a
JOIN duplicates d ON d.cluster_id = a.cluster_id
GROUP BY a.cluster_id, a.title, a.outlet, a.published_at, a.discovered_at
HAVING count(*) FILTER (WHERE d.outlet <> a.outlet) > 0
ORDER BY outlets DESC, first_at;

-- Who copies whom: first publisher -> later carrier, by number of stories.
CREATE OR REPLACE VIEW wire_pairs AS
WITH old AS MATERIALIZED (FROM _cfnews_old),
     articles AS (SELECT * FROM articles_all_versions
                  WHERE (article_id, run_id) NOT IN (SELECT (article_id, run_id) FROM old)),
     duplicates AS (SELECT * FROM duplicates_all_versions
                    WHERE (article_id, run_id) NOT IN (SELECT (article_id, run_id) FROM old))
SELECT a.outlet AS first_outlet, d.outlet AS carried_by, count(*) AS stories
FROM articles a JOIN duplicates d ON d.cluster_id = a.cluster_id
GROUP BY ALL
ORDER BY stories DESC, first_outlet, carried_by;

-- Stories reported independently by several outlets (rewrites of one press release or event
-- stay in `articles`, linked by story_id; copies of each report are in `duplicates`).
-- story_id is NULL in rows written before schema version 3: they are left out.
CREATE OR REPLACE VIEW story_reports AS
WITH old AS MATERIALIZED (FROM _cfnews_old),
     articles AS (SELECT * FROM articles_all_versions
                  WHERE (article_id, run_id) NOT IN (SELECT (article_id, run_id) FROM old)),
     duplicates AS (SELECT * FROM duplicates_all_versions
                    WHERE (article_id, run_id) NOT IN (SELECT (article_id, run_id) FROM old)),
     reports AS (SELECT story_id, count(*) AS reports,
                        list(outlet ORDER BY coalesce(published_at, discovered_at), outlet) AS outlets,
                        min(coalesce(published_at, discovered_at)) AS first_at
                 FROM articles WHERE story_id IS NOT NULL GROUP BY story_id),
     copies AS (SELECT story_id, count(*) AS copies FROM duplicates
                WHERE story_id IS NOT NULL GROUP BY story_id)
SELECT story_id, reports, outlets, coalesce(copies, 0) AS copies, first_at
FROM reports LEFT JOIN copies USING (story_id)
WHERE reports > 1
ORDER BY reports DESC, first_at;

-- Top people / organisations / places per ISO week (week = its Monday): articles naming each,
-- ranked within the week. Filter on `rank <= 10` for a top ten.
CREATE OR REPLACE VIEW top_entities_weekly AS
WITH named AS MATERIALIZED (  -- `articles` read once, not once per kind
    SELECT CAST(date_trunc('week', date) AS DATE) AS week, people, organizations, places
    FROM articles
), mentions AS (
    SELECT week, 'person' AS kind, unnest(people) AS name FROM named
    UNION ALL
    SELECT week, 'organization', unnest(organizations) FROM named
    UNION ALL
    SELECT week, 'place', unnest(places) FROM named
), counted AS (
    SELECT week, kind, name, count(*) AS articles FROM mentions GROUP BY ALL
)
SELECT week, kind, name, articles,
       rank() OVER (PARTITION BY week, kind ORDER BY articles DESC) AS rank
FROM counted
ORDER BY week, kind, rank, name;

-- Language mix per week: articles and share of the week's articles.
CREATE OR REPLACE VIEW language_mix AS
WITH counted AS (
    SELECT CAST(date_trunc('week', date) AS DATE) AS week, coalesce(language, 'und') AS language,
           count(*) AS articles
    FROM articles GROUP BY ALL
)
SELECT week, language, articles, articles / sum(articles) OVER (PARTITION BY week) AS share
FROM counted
ORDER BY week, articles DESC, language;

-- Why entries were dropped.
CREATE OR REPLACE VIEW rejections AS
SELECT stage, reason, count(*) AS entries FROM rejected GROUP BY ALL ORDER BY entries DESC;

-- Feed health, for the operator: per feed, when it last brought a new entry, how many in the
-- last 7 days, and its failed polls (each feed-level `rejected` row is one failed poll).
-- status: `failing` when it failed in the last 24 hours and brought nothing since its latest
-- failure; `quiet` when it brought nothing in 7 days (nothing new, or it stopped publishing);
-- else `ok`. A poll that succeeds with nothing new leaves no row, so `quiet` cannot tell the
-- two apart. Backfill rows are left out; a feed that never brought or failed anything is not
-- listed (compare with the feeds file).
CREATE OR REPLACE VIEW feed_health AS
WITH entries AS (
    SELECT feed_url, outlet, discovered_at FROM articles WHERE source = 'feed'
    UNION ALL
    SELECT feed_url, outlet, discovered_at FROM duplicates WHERE source = 'feed'
    UNION ALL
    SELECT feed_url, outlet, discovered_at FROM rejected WHERE source = 'feed' AND stage <> 'feeds'
), brought AS (
    SELECT feed_url, any_value(outlet) AS outlet, max(discovered_at) AS last_entry_at,
           count(*) FILTER (WHERE discovered_at >= now() - INTERVAL 7 DAY) AS entries_7d
    FROM entries GROUP BY feed_url
), failed AS (
    SELECT feed_url, any_value(outlet) AS outlet, max("at") AS last_failure_at,
           count(*) FILTER (WHERE "at" >= now() - INTERVAL 7 DAY) AS failed_polls_7d,
           arg_max(concat_ws(' ', reason, CAST(http_status AS VARCHAR), error), "at") AS last_failure
    FROM rejected WHERE stage = 'feeds' GROUP BY feed_url
)
SELECT feed_url, coalesce(b.outlet, f.outlet) AS outlet,
       CASE WHEN f.last_failure_at >= now() - INTERVAL 1 DAY
                 AND (b.last_entry_at IS NULL OR f.last_failure_at > b.last_entry_at) THEN 'failing'
            WHEN coalesce(b.entries_7d, 0) = 0 THEN 'quiet'
            ELSE 'ok' END AS status,
       b.last_entry_at, coalesce(b.entries_7d, 0) AS entries_7d,
       coalesce(f.failed_polls_7d, 0) AS failed_polls_7d, f.last_failure_at, f.last_failure
FROM brought b FULL JOIN failed f USING (feed_url)
ORDER BY CASE status WHEN 'failing' THEN 0 WHEN 'quiet' THEN 1 ELSE 2 END,
         b.last_entry_at NULLS FIRST, feed_url;

-- First queries, to paste:
--   FROM stories_per_day WHERE date >= current_date - 7;
--   FROM wire_stories LIMIT 20;
--   FROM wire_pairs;
--   FROM top_entities_weekly WHERE kind = 'person' AND rank <= 10;
--   FROM top_entities_weekly WHERE kind = 'organization' AND rank <= 10;
--   FROM language_mix;
--   FROM rejections;
--   FROM feed_health WHERE status <> 'ok';
