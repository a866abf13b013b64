# Sourced by bench/seeds.sh: a private ClickHouse server for the ClickHouse seed rows, with the HTTP
# port db-migrate uses and the native port clickhouse-client uses (the test server has HTTP only).
# ch_start sets CH_HTTP, CH_TCP and CH_DIR and registers ch_stop on EXIT; only this server is stopped.

ch_free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

ch_start() {
  local bin
  bin=$(command -v clickhouse-server || true)
  [[ -x $bin ]] || { echo "bench: clickhouse-server is not installed" >&2; return 1; }
  CH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dbm-bench-clickhouse.XXXXXX")
  CH_HTTP=$(ch_free_port 28123)
  CH_TCP=$(ch_free_port 29000)
  mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas"
  cat >"$CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$CH_DIR/server.log</log><errorlog>$CH_DIR/server.err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_HTTP</http_port>
  <tcp_port>$CH_TCP</tcp_port>
  <path>$CH_DIR/data/</path>
  <tmp_path>$CH_DIR/tmp/</tmp_path>
  <user_files_path>$CH_DIR/user_files/</user_files_path>
  <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <timezone>UTC</timezone>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
EOF
  cat >"$CH_DIR/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
EOF
  "$bin" --config-file="$CH_DIR/config.xml" </dev/null >"$CH_DIR/console.log" 2>&1 &
  CH_PID=$!
  trap ch_stop EXIT
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$CH_HTTP/ping" >/dev/null 2>&1 && return 0
    kill -0 "$CH_PID" 2>/dev/null || break
    sleep 0.5
  done
  echo "bench: the private ClickHouse did not start; see $CH_DIR/console.log" >&2
  return 1
}

ch_stop() {
  [[ -n ${CH_PID:-} ]] && kill "$CH_PID" 2>/dev/null && wait "$CH_PID" 2>/dev/null
  CH_PID=
  [[ -n ${CH_DIR:-} ]] && rm -rf "$CH_DIR"
  return 0
}

ch_query() { clickhouse-client --host 127.0.0.1 --port "$CH_TCP" --query "$1"; }
