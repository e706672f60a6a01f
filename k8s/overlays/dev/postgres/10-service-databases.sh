#!/bin/bash
# Runs once, when the data volume is empty: one role and one database per service. The role names
# and passwords come from each service's own DB Secret (env of the PostgreSQL container).
set -euo pipefail
create_service_database() {
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set=role="$1" --set=pw="$2" --set=db="$3" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
}
create_service_database "$CONSENT_DB_USER" "$CONSENT_DB_PASSWORD" consent
create_service_database "$ACCOUNT_LINK_DB_USER" "$ACCOUNT_LINK_DB_PASSWORD" accountlink
create_service_database "$CHAT_DB_USER" "$CHAT_DB_PASSWORD" chat
