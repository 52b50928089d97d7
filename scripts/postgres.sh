#!/usr/bin/env bash
# Starts the local PostgreSQL cluster and makes sure the test role exists; exports its URL.
# Sourced by scripts/test.sh; run it alone to get a server for bench/ scripts.
set -euo pipefail
version=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $2}')
if [[ -z "$version" ]]; then
    echo "postgres: no PostgreSQL cluster found (pg_lsclusters)" >&2
    exit 1
fi
pg_lsclusters -h | awk 'NR==1 {print $4}' | grep -q online || pg_ctlcluster "$version" "$cluster" start
port=$(pg_lsclusters -h | awk 'NR==1 {print $3}')
for _ in $(seq 1 30); do
    su postgres -c "pg_isready -q -p $port" && break
    sleep 0.5
done
su postgres -c "psql -q -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='intake'\"" | grep -q 1 \
    || su postgres -c "psql -q -p $port -c \"CREATE ROLE intake LOGIN CREATEDB PASSWORD 'intake'\""
# bench/ settles a freshly filled database with CHECKPOINT (PostgreSQL 15's predefined role).
su postgres -c "psql -q -p $port -c \"GRANT pg_checkpoint TO intake\"" >/dev/null 2>&1 || true
export INTAKE_TEST_PG_URL="postgresql+psycopg://intake:intake@127.0.0.1:${port}/postgres"
