#!/usr/bin/env bash
# Create (or replace) the three cfnews external tables in BigQuery.
#   deploy/bigquery/create_tables.sh PROJECT DATASET gs://BUCKET/cfnews [LOCATION]
# The dataset is created if missing, in LOCATION (default EU: keep it beside the bucket).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 PROJECT DATASET gs://BUCKET/PATH [LOCATION]" >&2
  exit 2
fi
PROJECT=$1 DATASET=$2 ROOT=${3%/} LOCATION=${4:-EU}
case "$ROOT" in gs://*) ;; *) echo "ROOT must be a gs:// folder" >&2; exit 2 ;; esac
bq --project_id="$PROJECT" show "$DATASET" >/dev/null 2>&1 \
  || bq --project_id="$PROJECT" --location="$LOCATION" mk --dataset "$PROJECT:$DATASET"
sql=$(sed -e "s|\${PROJECT}|$PROJECT|g" -e "s|\${DATASET}|$DATASET|g" -e "s|\${ROOT}|$ROOT|g" \
      "$(dirname "$0")/external_tables.sql")
bq --project_id="$PROJECT" --location="$LOCATION" query --use_legacy_sql=false "$sql"
