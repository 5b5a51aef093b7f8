# The servers bench/run compares, set up alike: one confidential client `bench`
# (client_secret_basic; client_credentials, authorization_code, refresh_token; scopes openid
# profile email offline_access read:records; redirect URI $REDIRECT_URI), one user, default
# lifetimes (access 3600 s, code 60 s, ID 3600 s, refresh 30 days), opaque access tokens; three
# resources https://bench.example/{rs256,es256,eddsa} with RFC 9068 JWT access tokens.
# Each server is pinned to core $SERVER_CORE. Sourced, not run.
#
# After start_*: BASE[name] (its issuer), SPID[name] (the server's own PID).

declare -A BASE SPID OXID_OF
CLIENT_ID=bench
SCOPES='openid profile email offline_access read:records'
REDIRECT_URI='http://127.0.0.1:9/callback'
USERNAME=bench
SECRET="$(random_text 64)"
PASSWORD="$(random_text 24)"

# start_oxid NAME DATABASE_URL [TOKENS [EXPIRED]]: Oxid with a fresh database at DATABASE_URL
# (with TOKENS access tokens seeded into it first, SQLite only: live ones, or with EXPIRED=1
# expired ones and maintenance every second, so the expired-row sweep starts about a second
# after the server).
start_oxid() {
  local name=$1 db=$2 seed=${3:-0} expired=${4:-0} port base
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  # `read:records` is an API scope of this deployment (unknown scopes are refused).
  # The JWT rows' resources (RFC 8707): one per signing alg, each RFC 9068 JWTs.
  # data_dir: one generated encryption key for every instance (two share a PostgreSQL
  # database, and need the same key to read its signing keys).
  {
    printf 'data_dir = "%s"\n' "$TMP"
    [ "$expired" = 1 ] && printf 'maintenance_interval_secs = 1\n'
    printf '[[scopes]]\nname = "read:records"\n'
    for alg in RS256 ES256 EdDSA; do
      printf '[[resources]]\nidentifier = "https://bench.example/%s"\n' "${alg,,}"
      printf 'scopes = ["read:records"]\nalg = "%s"\nlifetime = 3600\n' "$alg"
    done
  } >"$TMP/$name.toml"
  local oxid=("${OXID_OF[$name]:-$OXID}" --config "$TMP/$name.toml" --database "$db")
  # A second instance on a database set up already (NO_SETUP=1) adds nobody.
  [ -n "${NO_SETUP:-}" ] || "${oxid[@]}" client add --client-id "$CLIENT_ID" --client-secret="$SECRET" \
    --grant-type client_credentials --grant-type authorization_code --grant-type refresh_token \
    --response-type code --redirect-uri "$REDIRECT_URI" --auth-method client_secret_basic \
    --scope "$SCOPES" >"$TMP/$name-setup.log" 2>&1 ||
    { cat "$TMP/$name-setup.log" >&2; die "$name: oxid client add failed"; }
  [ -n "${NO_SETUP:-}" ] || "${oxid[@]}" user add --username "$USERNAME" --password="$PASSWORD" \
    --email bench@example.com --email-verified --name 'Bench User' \
    >>"$TMP/$name-setup.log" 2>&1 ||
    { cat "$TMP/$name-setup.log" >&2; die "$name: oxid user add failed"; }
  [ "$seed" -gt 0 ] && seed_tokens "${db#sqlite://}" "$seed" "$expired"
  OXID_LOG="${OXID_LOG:-info}" timeout 7200 taskset -c "$SERVER_CORE" \
    "${oxid[@]}" serve --listen "127.0.0.1:$port" --issuer "$base" >"$TMP/$name.log" 2>&1 &
  PIDS+=($!)
  BASE[$name]=$base
  SPID[$name]="$(child_of "${PIDS[-1]}")"
  wait_http "$base/.well-known/openid-configuration" "${SPID[$name]}"
}

# seed_tokens FILE COUNT [EXPIRED]: COUNT client_credentials access tokens of client `bench`
# written straight into the SQLite file (a bench-only bulk path: one statement, rows sorted by
# key so the B-trees fill in order), shaped like the rows Oxid writes over an hour of issuing:
# token i issued at its own millisecond, spread evenly over that hour; as key that time in
# milliseconds (12 hex digits) and a random 256-bit hash (crypto/token_keys.rs), a grant id
# made in the same millisecond (crypto/secrets.rs `new_grant_id`), the scope, expiring a day
# after issue (EXPIRED=1: the hour ended a day and a minute ago, so all have expired).
seed_tokens() {
  local file=$1 count=$2 end
  command -v sqlite3 >/dev/null || die "sqlite3 is needed to seed tokens (apt-get install sqlite3)"
  end="$(date +%s)"
  [ "${3:-0}" = 1 ] && end=$((end - 86460))
  say "seeding $count $([ "${3:-0}" = 1 ] && echo expired || echo live) tokens into $file"
  timeout 1800 sqlite3 "$file" "PRAGMA journal_mode = WAL; BEGIN;
    INSERT INTO tokens (token_hash, kind, grant_id, client_id, user_id, scopes, issued_at, expires_at)
    SELECT printf('%012x', t) || lower(hex(randomblob(32))) AS h, 'access',
           printf('%012x', t) || lower(hex(randomblob(8))), 'bench', NULL,
           '[\"read:records\"]', t / 1000, t / 1000 + 86400
    FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
          SELECT ($end - 3600) * 1000 + i * 3600000 / $count AS t FROM n)
    ORDER BY h;
    COMMIT; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null || die "seeding $file failed"
}

# start_node NAME: oidc-provider (bench/node/server.mjs) configured like Oxid.
start_node() {
  local name=$1 port base
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  (cd "$BENCH/node" && NODE_ENV=production exec timeout 7200 taskset -c "$SERVER_CORE" \
    node server.mjs "$port" "$CLIENT_ID" "$SECRET" "$REDIRECT_URI" "$USERNAME" "$PASSWORD") \
    >"$TMP/$name.log" 2>&1 &
  PIDS+=($!)
  BASE[$name]=$base
  SPID[$name]="$(child_of "${PIDS[-1]}")"
  wait_http "$base/.well-known/openid-configuration" "${SPID[$name]}"
}

# pg_schema_url URL: a fresh schema of its own on the PostgreSQL server at URL (psql), and the
# URL that selects it; the schema is dropped on exit.
pg_schema_url() {
  local url=$1 schema sep
  schema="oxid_bench_$(date +%s)_$$"
  command -v psql >/dev/null || die "psql is needed for OXID_BENCH_POSTGRES_URL"
  psql -q "$url" -c "CREATE SCHEMA $schema" >/dev/null || die "cannot create schema $schema"
  PG_SCHEMAS+=("$schema")
  case "$url" in *\?*) sep='&' ;; *) sep='?' ;; esac
  echo "${url}${sep}options=-c%20search_path%3D$schema"
}
PG_SCHEMAS=()
drop_pg_schemas() {
  for schema in "${PG_SCHEMAS[@]}"; do
    psql -q "$OXID_BENCH_POSTGRES_URL" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  done
}

# A discovery member of server NAME (endpoints differ: /jwks against /.well-known/jwks.json).
endpoint() {
  local name=$1 member=$2
  json_get "$TMP/$name-discovery.json" "$member"
}
fetch_discovery() {
  local name=$1
  curl -sf --max-time 10 -o "$TMP/$name-discovery.json" \
    "${BASE[$name]}/.well-known/openid-configuration" || die "$name: no discovery document"
}

# A client_credentials access token from server NAME.
cc_token() {
  local name=$1 out="$TMP/$name-cc.json"
  curl -sf --max-time 10 -o "$out" -u "$CLIENT_ID:$SECRET" \
    -d 'grant_type=client_credentials&scope=read:records' "$(endpoint "$name" token_endpoint)" ||
    die "$name: client_credentials failed"
  json_get "$out" access_token
}

# expired_tokens NAME: how many expired tokens are left in server NAME's SQLite file.
expired_tokens() {
  timeout 60 sqlite3 "file:$TMP/$1.db?mode=ro" \
    "SELECT count(*) FROM tokens WHERE expires_at <= strftime('%s','now')" 2>/dev/null || echo '?'
}
