#!/usr/bin/env bash
# Test services for db-migrate: a PostgreSQL admin URL, a ClickHouse HTTP URL and a ClickHouse cluster.
#
#   source tests/services.sh       ensure all, export PG_TEST_URL, CLICKHOUSE_TEST_URL and the cluster's, and
#                                  register an EXIT trap that stops only what this shell started
#   bash tests/services.sh start   the same, but leave them running (state in .tools/services/)
#   bash tests/services.sh stop    stop what `start` left running
#   bash tests/services.sh env     print `export ...` lines for eval "$(bash tests/services.sh env)"
#   bash tests/services.sh clickhouse-run DIR PORT
#                                  run a scratch ClickHouse on DIR in the foreground (for tests that
#                                  kill or restart their server)
#   bash tests/services.sh cluster-run
#                                  run a scratch cluster in the foreground (for tests that stop a
#                                  replica); prints its variables, then `# ready`
#   bash tests/services.sh zookeeper-run DIR
#                                  start the ZooKeeper of that scratch cluster again, in the
#                                  foreground (for tests that kill it)
#
# Besides the single ClickHouse, a cluster: ZooKeeper and two more ClickHouse servers, replicas of
# one shard (CLICKHOUSE_CLUSTER_URLS: their URLs, comma-separated; CLICKHOUSE_CLUSTER_NAME: the
# cluster; CLICKHOUSE_SHARDED_CLUSTER_NAME: the same two servers as two shards;
# CLICKHOUSE_CLUSTER_ZOOKEEPER: host:port of ZooKeeper). Setting CLICKHOUSE_CLUSTER_URLS and
# CLICKHOUSE_CLUSTER_NAME to a running cluster reuses it instead.
#
# All progress goes to standard error, so `env` keeps standard output for the export lines.

# The one place the Deno version of the test run is pinned; the Dockerfile and the README pin the same.
export DENO_VERSION=2.9.6

DBM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DBM_STATE_DIR="$DBM_ROOT/.tools/services"
DBM_PG_ROLE=db_migrate_test # only created when the server has no trust login for `postgres`
DBM_CH_PID=""
DBM_CH_DIR=""
DBM_CH_CMD=()

dbm_log() { echo "services: $*" >&2; }
dbm_die() {
	echo "services: error: $*" >&2
	return 1
}

# Hides the password of a URL (scheme://user:pass@host → scheme://user:***@host) for printing.
dbm_redact() { sed -E 's#^([a-z]+://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

dbm_sudo() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		dbm_die "need root (or sudo) to run: $*"
	fi
}

# Installs Debian packages; `apt-get update` only when the first try fails, since a fresh machine's
# lists may be missing or stale but an up-to-date machine should not pay for it on every run.
dbm_apt_install() {
	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=300)
	dbm_log "installing $* with apt-get (once per machine)"
	if ! dbm_sudo "${apt[@]}" install --no-install-recommends "$@" >&2; then
		dbm_sudo "${apt[@]}" update >&2 || return 1
		dbm_sudo "${apt[@]}" install --no-install-recommends "$@" >&2 || return 1
	fi
}

# --- PostgreSQL ---------------------------------------------------------------------------------

dbm_pg_ok() { PGCONNECT_TIMEOUT=5 psql "$1" -XAtqc 'SELECT 1' >/dev/null 2>&1; }

dbm_pg_hint() {
	cat >&2 <<'EOF'
services: PostgreSQL is needed by the tests. Start the local cluster with
services:   pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
services: install it with `apt-get install -y postgresql`, or set PG_TEST_URL to an admin URL
services: (a superuser that may CREATE DATABASE), e.g. postgres://postgres@127.0.0.1:5432/postgres
EOF
}

# Prints "VERSION NAME PORT" of the local cluster to use, preferring one on port 5432.
dbm_pg_cluster() {
	command -v pg_lsclusters >/dev/null 2>&1 || return 1
	pg_lsclusters -h 2>/dev/null | awk '
		$3 == 5432 { print $1, $2, $3; found = 1; exit }
		!first { first = $1 " " $2 " " $3 }
		END { if (!found && first) print first }'
}

# Prints an admin URL for the server on 127.0.0.1:$1.
# Trust auth for `postgres` over TCP is how this machine is set up; a fresh Debian install asks
# for a password instead, so then a superuser with a known password is made through the
# postgres OS user's peer login on the Unix socket.
dbm_pg_admin_url() {
	local port=$1
	local url="postgres://postgres@127.0.0.1:$port/postgres"
	if ! dbm_pg_ok "$url"; then
		url="postgres://$DBM_PG_ROLE:$DBM_PG_ROLE@127.0.0.1:$port/postgres"
		if ! dbm_pg_ok "$url"; then
			dbm_log "creating superuser $DBM_PG_ROLE (password login) for the tests"
			local sql="DO \$\$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '$DBM_PG_ROLE') THEN
    ALTER ROLE $DBM_PG_ROLE LOGIN SUPERUSER PASSWORD '$DBM_PG_ROLE';
  ELSE
    CREATE ROLE $DBM_PG_ROLE LOGIN SUPERUSER PASSWORD '$DBM_PG_ROLE';
  END IF;
END \$\$;"
			if [ "$(id -u)" = 0 ]; then
				runuser -u postgres -- psql -X -q -p "$port" -d postgres -v ON_ERROR_STOP=1 <<<"$sql" >&2 || true
			else
				sudo -n -u postgres psql -X -q -p "$port" -d postgres -v ON_ERROR_STOP=1 <<<"$sql" >&2 || true
			fi
		fi
		if ! dbm_pg_ok "$url"; then
			dbm_pg_hint
			dbm_die "PostgreSQL on 127.0.0.1:$port refuses both postgres (trust) and $DBM_PG_ROLE (password)"
			return 1
		fi
	fi
	echo "$url"
}

dbm_pg_ensure() {
	if [ -n "${PG_TEST_URL:-}" ]; then
		# An explicit URL is the caller's choice: check it, but never swap in another server.
		if command -v psql >/dev/null 2>&1 && ! dbm_pg_ok "$PG_TEST_URL"; then
			dbm_pg_hint
			dbm_die "PG_TEST_URL ($(dbm_redact "$PG_TEST_URL")) does not answer SELECT 1"
			return 1
		fi
		dbm_log "PostgreSQL: $(dbm_redact "$PG_TEST_URL") (from PG_TEST_URL)"
		return 0
	fi

	local port=5432 cluster ver name
	if ! { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p "$port"; }; then
		cluster="$(dbm_pg_cluster || true)"
		if [ -z "$cluster" ] && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
			dbm_apt_install postgresql || {
				dbm_pg_hint
				dbm_die "could not install PostgreSQL"
				return 1
			}
			cluster="$(dbm_pg_cluster || true)"
		fi
		if [ -z "$cluster" ]; then
			# Server binaries without a cluster (e.g. the package's cluster was dropped): make one.
			local bins=(/usr/lib/postgresql/*/bin/postgres)
			ver="$(printf '%s\n' "${bins[@]}" | sed -E 's#^/usr/lib/postgresql/([^/]+)/.*#\1#' | sort -V | tail -n1)"
			dbm_log "creating PostgreSQL cluster $ver/main"
			dbm_sudo pg_createcluster "$ver" main >&2 || {
				dbm_pg_hint
				dbm_die "pg_createcluster $ver main failed"
				return 1
			}
			cluster="$(dbm_pg_cluster)"
		fi
		read -r ver name port <<<"$cluster"
		if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
			# Left running afterwards on purpose: it is the machine's shared server, which other
			# work in this tree uses too, not a scratch process of this run.
			dbm_log "starting PostgreSQL cluster $ver/$name on port $port"
			dbm_sudo pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >&2 || true
		fi
		for _ in $(seq 1 30); do
			pg_isready -q -h 127.0.0.1 -p "$port" && break
			sleep 1
		done
		if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
			dbm_pg_hint
			dbm_die "PostgreSQL $ver/$name does not accept connections on 127.0.0.1:$port"
			return 1
		fi
	fi

	local url
	url="$(dbm_pg_admin_url "$port")" || return 1
	export PG_TEST_URL="$url"
	dbm_log "PostgreSQL: $(dbm_redact "$PG_TEST_URL")"
}

# --- ClickHouse ---------------------------------------------------------------------------------

# Runs a query against a ClickHouse URL (http[s]://[user[:pass]@]host:port[/db]) and prints the body.
# ClickHouse 18.16 ignores the URL path, so the database goes in ?database= and credentials in
# basic auth, which it accepts alongside its X-ClickHouse-User headers.
dbm_ch_query() {
	local re='^(https?)://(([^:@/]*)(:([^@/]*))?@)?([^/?#]+)(/([^?#]*))?'
	[[ $1 =~ $re ]] || return 1
	local origin="${BASH_REMATCH[1]}://${BASH_REMATCH[6]}" user="${BASH_REMATCH[3]:-default}"
	local pass="${BASH_REMATCH[5]}" db="${BASH_REMATCH[8]}"
	curl -fsS --max-time 5 -u "$user:$pass" --data-binary "$2" "$origin/${db:+?database=$db}" 2>/dev/null
}

dbm_ch_ok() { [ "$(dbm_ch_query "$1" 'SELECT 1' || true)" = 1 ]; }

dbm_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Sets DBM_CH_CMD: Debian ships /usr/sbin/clickhouse-server (not on a non-root PATH); ClickHouse's
# own packages ship one `clickhouse` binary with a `server` subcommand.
dbm_ch_server_cmd() {
	if command -v clickhouse-server >/dev/null 2>&1; then
		DBM_CH_CMD=("$(command -v clickhouse-server)")
	elif [ -x /usr/sbin/clickhouse-server ]; then
		DBM_CH_CMD=(/usr/sbin/clickhouse-server)
	elif command -v clickhouse >/dev/null 2>&1; then
		DBM_CH_CMD=("$(command -v clickhouse)" server)
	else
		return 1
	fi
}

# Sets DBM_CH_CMD, installing Debian's clickhouse-server first when there is none.
dbm_ch_need_server() {
	dbm_ch_server_cmd && return 0
	dbm_apt_install clickhouse-server || {
		dbm_die "could not install clickhouse-server; set CLICKHOUSE_TEST_URL to a running server"
		return 1
	}
	dbm_ch_server_cmd || dbm_die "clickhouse-server is installed but its binary was not found"
}

# Writes the smallest config ClickHouse 18.16 starts with: everything under the scratch dir, HTTP
# only on loopback, user `default` without password. mark_cache_size has no default in 18.16 (it
# stops with "Not found: mark_cache_size"); timezone is fixed so DateTime tests do not depend on
# the machine. query_log is what db-migrate asks after an interrupted run (did the statement it
# left in flight finish?); ClickHouse's packaged config has it, a bare config does not.
dbm_ch_write_config() {
	local dir=$1 port=$2 extra=${3:-}
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
	cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>information</level>
    <log>$dir/server.log</log>
    <errorlog>$dir/server.err.log</errorlog>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$port</http_port>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <timezone>UTC</timezone>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <query_log>
    <database>system</database>
    <table>query_log</table>
    <flush_interval_milliseconds>7500</flush_interval_milliseconds>
  </query_log>
$extra</yandex>
EOF
	cat >"$dir/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default></default></quotas>
</yandex>
EOF
}

# Starts a private ClickHouse in the background; sets DBM_CH_PID, DBM_CH_DIR, CLICKHOUSE_TEST_URL.
# $1 = "owned": it dies with this shell (setpriv's parent-death signal covers a SIGKILLed run too);
# $1 = "detached": it outlives the script (`start`).
dbm_ch_spawn() {
	local mode=$1
	dbm_ch_need_server || return 1

	local port=18123 dir url start started_ms waited
	dbm_ch_sweep
	for _ in 1 2 3 4 5; do
		while ! dbm_port_free "$port"; do port=$((port + 1)); done
		dir="$(mktemp -d "${TMPDIR:-/tmp}/dbm-clickhouse.XXXXXX")"
		dbm_ch_write_config "$dir" "$port"
		url="http://default@127.0.0.1:$port/default"
		dbm_log "starting ClickHouse (${DBM_CH_CMD[*]}) on 127.0.0.1:$port in $dir"
		start=$SECONDS started_ms=$(($(date +%s%N) / 1000000))
		# Own descriptors, so a CI runner waiting for the script's output does not wait for the server.
		if [ "$mode" = owned ] && command -v setpriv >/dev/null 2>&1; then
			setpriv --pdeathsig TERM -- "${DBM_CH_CMD[@]}" --config-file="$dir/config.xml" </dev/null >"$dir/console.log" 2>&1 &
		else
			nohup "${DBM_CH_CMD[@]}" --config-file="$dir/config.xml" </dev/null >"$dir/console.log" 2>&1 &
		fi
		DBM_CH_PID=$!
		DBM_CH_DIR=$dir
		echo "$DBM_CH_PID" >"$dir/server.pid"
		waited=0
		for _ in $(seq 1 240); do
			kill -0 "$DBM_CH_PID" 2>/dev/null || break
			# The data path proves the answer comes from this server, not from a concurrent run's
			# server that took the same port first.
			if [ "$(dbm_ch_query "$url" "SELECT data_path FROM system.databases WHERE name = 'default'" || true)" = "$dir/data/data/default/" ]; then
				export CLICKHOUSE_TEST_URL="$url"
				dbm_log "ClickHouse up after $(($(date +%s%N) / 1000000 - started_ms)) ms"
				return 0
			fi
			if [ $((SECONDS - start)) -ge 60 ]; then break; fi
			if [ $((SECONDS - start)) -ge $((waited + 5)) ]; then
				waited=$((SECONDS - start))
				dbm_log "waiting for ClickHouse on 127.0.0.1:$port (${waited} s)"
			fi
			sleep 0.25
		done
		if kill -0 "$DBM_CH_PID" 2>/dev/null; then
			dbm_log "ClickHouse did not answer within 60 s"
			dbm_ch_logs "$dir"
			dbm_ch_stop
			return 1
		fi
		wait "$DBM_CH_PID" 2>/dev/null || true
		if grep -qs 'Address already in use' "$dir/server.err.log" "$dir/console.log"; then
			dbm_log "port $port was taken meanwhile; trying another"
			rm -rf "$dir"
			DBM_CH_PID="" DBM_CH_DIR=""
			port=$((port + 1))
			continue
		fi
		dbm_log "ClickHouse exited during start-up"
		dbm_ch_logs "$dir"
		rm -rf "$dir"
		DBM_CH_PID="" DBM_CH_DIR=""
		return 1
	done
	dbm_die "no free port for ClickHouse after 5 tries"
}

# Removes scratch dirs of earlier runs that were killed too hard for their trap to run (SIGKILL):
# their server died with them, but the dir stayed. A dir is stale when its server's pid is gone, or
# when it never got a pid file and is over an hour old.
dbm_ch_sweep() {
	local d pid
	for d in "${TMPDIR:-/tmp}"/dbm-clickhouse.*; do
		[ -d "$d" ] || continue
		if [ -f "$d/server.pid" ]; then
			pid="$(cat "$d/server.pid")"
			if [ -n "$pid" ] && grep -qs "$d/config.xml" "/proc/$pid/cmdline"; then continue; fi
		elif [ -z "$(find "$d" -maxdepth 0 -mmin +60)" ]; then
			continue
		fi
		rm -rf "$d"
	done
}

dbm_ch_logs() {
	local f
	for f in "$1/console.log" "$1/server.err.log" "$1/server.log"; do
		[ -s "$f" ] || continue
		echo "services: --- last lines of $f" >&2
		tail -n 30 "$f" >&2
	done
}

# Stops the ClickHouse this shell started (by its pid only) and removes its scratch dir.
dbm_ch_stop() {
	if [ -n "$DBM_CH_PID" ] && kill -0 "$DBM_CH_PID" 2>/dev/null; then
		kill -TERM "$DBM_CH_PID" 2>/dev/null || true
		for _ in $(seq 1 40); do
			kill -0 "$DBM_CH_PID" 2>/dev/null || break
			sleep 0.25
		done
		kill -KILL "$DBM_CH_PID" 2>/dev/null || true
		wait "$DBM_CH_PID" 2>/dev/null || true
	fi
	if [ -n "$DBM_CH_DIR" ]; then rm -rf "$DBM_CH_DIR"; fi
	DBM_CH_PID="" DBM_CH_DIR=""
}

# Prints the URL recorded by `start` if that server is still the one answering.
dbm_ch_state_url() {
	local f="$DBM_STATE_DIR/clickhouse.env"
	[ -f "$f" ] || return 1
	local pid dir url
	# shellcheck disable=SC1090
	pid="$(. "$f" && echo "$pid")" dir="$(. "$f" && echo "$dir")" url="$(. "$f" && echo "$url")"
	kill -0 "$pid" 2>/dev/null && [ -d "$dir" ] && dbm_ch_ok "$url" && echo "$url"
}

dbm_ch_ensure() {
	local mode=$1 url
	if [ -n "${CLICKHOUSE_TEST_URL:-}" ]; then
		if dbm_ch_ok "$CLICKHOUSE_TEST_URL"; then
			dbm_log "ClickHouse: $(dbm_redact "$CLICKHOUSE_TEST_URL") (from CLICKHOUSE_TEST_URL)"
			return 0
		fi
		dbm_log "CLICKHOUSE_TEST_URL ($(dbm_redact "$CLICKHOUSE_TEST_URL")) does not answer SELECT 1; looking for another"
	fi
	for url in "$(dbm_ch_state_url || true)" "http://default@127.0.0.1:8123/default"; do
		if [ -n "$url" ] && dbm_ch_ok "$url"; then
			export CLICKHOUSE_TEST_URL="$url"
			dbm_log "ClickHouse: $CLICKHOUSE_TEST_URL (already running)"
			return 0
		fi
	done
	dbm_ch_spawn "$mode" || return 1
	dbm_log "ClickHouse: $CLICKHOUSE_TEST_URL"
}

# --- ClickHouse cluster: ZooKeeper and two replicas ----------------------------------------------
# Two more ClickHouse servers and one ZooKeeper, all on loopback with ports and a scratch dir of
# their own, so the single server above is never touched. Two clusters are declared over the same
# two servers: dbm_cluster (one shard, two replicas: what replicated tracking is tested on) and
# dbm_sharded (two shards of one replica each). Every server's macros are shard=01, replica=r1|r2,
# cluster=dbm_cluster, and sharded_shard=1|2 for tables of dbm_sharded.

DBM_CLUSTER_NAME=dbm_cluster
DBM_SHARDED_NAME=dbm_sharded
DBM_ZK_JAR=/usr/share/java/zookeeper.jar
DBM_CLUSTER_DIR=""
DBM_CLUSTER_PIDS=() # ZooKeeper, replica 1, replica 2
DBM_BG_PID=""

# Starts "$@" in the background with its output in $2; sets DBM_BG_PID. $1 = owned: it dies with
# this shell (parent-death signal, so a SIGKILLed run takes it along); detached: it outlives it.
# No command substitution around it: the subshell would be the parent, and die at once.
dbm_bg() {
	local mode=$1 log=$2
	shift 2
	if [ "$mode" = owned ] && command -v setpriv >/dev/null 2>&1; then
		setpriv --pdeathsig TERM -- "$@" </dev/null >"$log" 2>&1 &
	else
		nohup "$@" </dev/null >"$log" 2>&1 &
	fi
	DBM_BG_PID=$!
}

# Prints the first port at or after $1 that nothing listens on.
dbm_free_port_from() {
	local port=$1
	while ! dbm_port_free "$port"; do port=$((port + 1)); done
	echo "$port"
}

# The Debian jar of ZooKeeper and a Java to run it. Only libzookeeper-java and a headless JRE:
# the `zookeeper` package adds init scripts that want /etc and /var/log, and a desktop JRE.
dbm_zk_need() {
	if [ -f "$DBM_ZK_JAR" ] && command -v java >/dev/null 2>&1; then return 0; fi
	dbm_apt_install libzookeeper-java default-jre-headless || {
		dbm_die "could not install ZooKeeper (libzookeeper-java) and Java; set CLICKHOUSE_CLUSTER_URLS to a running cluster"
		return 1
	}
	[ -f "$DBM_ZK_JAR" ] || dbm_die "libzookeeper-java is installed but $DBM_ZK_JAR is missing"
}

# Prints the answer of ZooKeeper on 127.0.0.1:$1 to the four-letter command `srvr`.
dbm_zk_srvr() {
	timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && cat <&3' _ "$1" 2>/dev/null
}

# Writes ZooKeeper's config into $1/zk: standalone, loopback only, no admin server (it would take
# port 8080), the four-letter commands the wait and a human need.
dbm_zk_write_config() {
	local dir=$1 port=$2
	mkdir -p "$dir/zk/data"
	cat >"$dir/zk/zoo.cfg" <<EOF
tickTime=500
dataDir=$dir/zk/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok,mntr,stat,cons
EOF
}

# Starts ZooKeeper straight from its jar (zkServer.sh wants /etc and /var/log); sets DBM_BG_PID.
# A small heap and the serial collector: it holds a few hundred nodes.
dbm_zk_start() {
	local mode=$1 dir=$2
	dbm_bg "$mode" "$dir/zk/console.log" java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Dzookeeper.log.dir="$dir/zk" -cp "$DBM_ZK_JAR" \
		org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zk/zoo.cfg"
	echo "$DBM_BG_PID" >"$dir/zk/server.pid"
}

# The XML that makes a server replica $3 of both clusters; $1 = ZooKeeper's port, $2 = the tcp ports
# of replica 1 and 2 ("P1 P2"), $4/$5 = this server's tcp and interserver ports.
dbm_cluster_replica_xml() {
	local zk=$1 n=$3 tcp=$4 inter=$5 tcp1 tcp2
	read -r tcp1 tcp2 <<<"$2"
	cat <<EOF
  <tcp_port>$tcp</tcp_port>
  <interserver_http_port>$inter</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <zookeeper>
    <node><host>127.0.0.1</host><port>$zk</port></node>
    <session_timeout_ms>30000</session_timeout_ms>
  </zookeeper>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
  <remote_servers>
    <$DBM_CLUSTER_NAME>
      <shard>
        <internal_replication>true</internal_replication>
        <replica><host>127.0.0.1</host><port>$tcp1</port></replica>
        <replica><host>127.0.0.1</host><port>$tcp2</port></replica>
      </shard>
    </$DBM_CLUSTER_NAME>
    <$DBM_SHARDED_NAME>
      <shard><replica><host>127.0.0.1</host><port>$tcp1</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>$tcp2</port></replica></shard>
    </$DBM_SHARDED_NAME>
  </remote_servers>
  <macros>
    <cluster>$DBM_CLUSTER_NAME</cluster>
    <shard>01</shard>
    <replica>r$n</replica>
    <sharded_shard>$n</sharded_shard>
  </macros>
EOF
}

# Whether every URL of $1 (comma-separated) sees cluster $2 with two hosts and reaches ZooKeeper.
dbm_cluster_ok() {
	local url name=$2
	[ -n "$1" ] && [ -n "$name" ] || return 1
	for url in ${1//,/ }; do
		[ "$(dbm_ch_query "$url" "SELECT count() FROM system.clusters WHERE cluster = '$name'" || true)" = 2 ] || return 1
		[ "$(dbm_ch_query "$url" "SELECT count() > 0 FROM system.zookeeper WHERE path = '/'" || true)" = 1 ] || return 1
	done
}

dbm_cluster_logs() {
	local f
	for f in "$1"/zk/console.log "$1"/ch*/server.err.log "$1"/ch*/console.log; do
		[ -s "$f" ] || continue
		echo "services: --- last lines of $f" >&2
		tail -n 20 "$f" >&2
	done
}

# Stops the cluster this shell started (by its pids only) and removes its scratch dir. SIGKILL at
# once: its data is thrown away, and a clean shutdown would cost 4-10 s (replicas, then ZooKeeper).
dbm_cluster_stop() {
	local pid
	for pid in "${DBM_CLUSTER_PIDS[@]}"; do
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
	done
	for pid in "${DBM_CLUSTER_PIDS[@]}"; do
		[ -n "$pid" ] || continue
		wait "$pid" 2>/dev/null || true
		# Gone once its command line is (a zombie that another parent has yet to reap has none).
		for _ in $(seq 1 40); do
			[ -s "/proc/$pid/cmdline" ] || break
			sleep 0.05
		done
	done
	if [ -n "$DBM_CLUSTER_DIR" ]; then rm -rf "$DBM_CLUSTER_DIR"; fi
	DBM_CLUSTER_PIDS=() DBM_CLUSTER_DIR=""
}

# Removes scratch dirs of earlier runs killed too hard for their trap to run: a dir is stale when
# none of its processes runs any more, or when it never got one and is over an hour old.
dbm_cluster_sweep() {
	local d f pid live pids
	for d in "${TMPDIR:-/tmp}"/dbm-cluster.*; do
		[ -d "$d" ] || continue
		live="" pids=""
		for f in "$d"/*/server.pid; do
			[ -f "$f" ] || continue
			pids=1 pid="$(cat "$f")"
			if [ -n "$pid" ] && grep -qs "$d/" "/proc/$pid/cmdline"; then live=1; fi
		done
		[ -z "$live" ] || continue
		[ -n "$pids" ] || [ -n "$(find "$d" -maxdepth 0 -mmin +60)" ] || continue
		rm -rf "$d"
	done
}

# Starts ZooKeeper and two replicas; sets DBM_CLUSTER_PIDS, DBM_CLUSTER_DIR and exports the
# cluster's variables. $1 = owned or detached, as for the single server.
dbm_cluster_spawn() {
	local mode=$1 dir zk http1 http2 tcp1 tcp2 inter1 inter2 n started_ms start ok
	dbm_ch_need_server || return 1
	dbm_zk_need || return 1
	dbm_cluster_sweep
	for _ in 1 2 3; do
		dir="$(mktemp -d "${TMPDIR:-/tmp}/dbm-cluster.XXXXXX")"
		DBM_CLUSTER_DIR=$dir DBM_CLUSTER_PIDS=()
		# Seven distinct free ports, away from the single server's 18123 and up.
		zk=$(dbm_free_port_from 12181)
		http1=$(dbm_free_port_from 18301) && http2=$(dbm_free_port_from $((http1 + 1)))
		tcp1=$(dbm_free_port_from 19301) && tcp2=$(dbm_free_port_from $((tcp1 + 1)))
		inter1=$(dbm_free_port_from 19401) && inter2=$(dbm_free_port_from $((inter1 + 1)))
		started_ms=$(($(date +%s%N) / 1000000)) start=$SECONDS
		dbm_log "starting a ClickHouse cluster in $dir: ZooKeeper on 127.0.0.1:$zk, replicas on HTTP $http1 and $http2"
		dbm_zk_write_config "$dir" "$zk"
		dbm_zk_start "$mode" "$dir"
		DBM_CLUSTER_PIDS[0]=$DBM_BG_PID
		# `ruok` answers before ZooKeeper serves sessions, and a ClickHouse that connects then dies
		# at start-up: wait for `srvr` to say it serves.
		ok=""
		while [ $((SECONDS - start)) -lt 60 ] && kill -0 "$DBM_BG_PID" 2>/dev/null; do
			if dbm_zk_srvr "$zk" | grep -q '^Mode: standalone'; then ok=1 && break; fi
			sleep 0.1
		done
		if [ -z "$ok" ]; then
			if grep -qs 'Address already in use' "$dir/zk/console.log"; then
				dbm_log "port $zk was taken meanwhile; trying again"
				dbm_cluster_stop
				continue
			fi
			dbm_log "ZooKeeper did not serve within 60 s"
			dbm_cluster_logs "$dir"
			dbm_cluster_stop
			return 1
		fi
		for n in 1 2; do
			local http tcp inter
			eval "http=\$http$n tcp=\$tcp$n inter=\$inter$n"
			dbm_ch_write_config "$dir/ch$n" "$http" "$(dbm_cluster_replica_xml "$zk" "$tcp1 $tcp2" "$n" "$tcp" "$inter")"
			dbm_bg "$mode" "$dir/ch$n/console.log" "${DBM_CH_CMD[@]}" --config-file="$dir/ch$n/config.xml"
			DBM_CLUSTER_PIDS[n]=$DBM_BG_PID
			echo "$DBM_BG_PID" >"$dir/ch$n/server.pid"
		done
		local urls="http://default@127.0.0.1:$http1/default,http://default@127.0.0.1:$http2/default"
		ok=""
		while [ $((SECONDS - start)) -lt 90 ]; do
			kill -0 "${DBM_CLUSTER_PIDS[1]}" 2>/dev/null && kill -0 "${DBM_CLUSTER_PIDS[2]}" 2>/dev/null || break
			# The data paths prove the answers come from these servers, not from a concurrent run's.
			if [ "$(dbm_ch_query "${urls%%,*}" "SELECT data_path FROM system.databases WHERE name = 'default'" || true)" = "$dir/ch1/data/data/default/" ] &&
				[ "$(dbm_ch_query "${urls##*,}" "SELECT data_path FROM system.databases WHERE name = 'default'" || true)" = "$dir/ch2/data/data/default/" ] &&
				dbm_cluster_ok "$urls" "$DBM_CLUSTER_NAME"; then
				ok=1 && break
			fi
			sleep 0.1
		done
		if [ -n "$ok" ]; then
			export CLICKHOUSE_CLUSTER_URLS="$urls" CLICKHOUSE_CLUSTER_NAME="$DBM_CLUSTER_NAME"
			export CLICKHOUSE_SHARDED_CLUSTER_NAME="$DBM_SHARDED_NAME" CLICKHOUSE_CLUSTER_ZOOKEEPER="127.0.0.1:$zk"
			dbm_log "ClickHouse cluster up after $(($(date +%s%N) / 1000000 - started_ms)) ms"
			return 0
		fi
		if grep -qs 'Address already in use' "$dir"/ch*/server.err.log "$dir"/ch*/console.log; then
			dbm_log "a port was taken meanwhile; trying again"
			dbm_cluster_stop
			continue
		fi
		dbm_log "the ClickHouse cluster did not come up within 90 s"
		dbm_cluster_logs "$dir"
		dbm_cluster_stop
		return 1
	done
	dbm_die "no free ports for the ClickHouse cluster after 3 tries"
}

# Prints the variables recorded by `start` (as `export` lines) if that cluster still answers.
dbm_cluster_state_env() {
	local f="$DBM_STATE_DIR/cluster.env"
	[ -f "$f" ] || return 1
	# shellcheck disable=SC1090
	(
		. "$f" && dbm_cluster_ok "$urls" "$name" || exit 1
		CLICKHOUSE_CLUSTER_URLS=$urls CLICKHOUSE_CLUSTER_NAME=$name
		CLICKHOUSE_SHARDED_CLUSTER_NAME=$sharded CLICKHOUSE_CLUSTER_ZOOKEEPER=$zookeeper
		dbm_cluster_exports
	)
}

dbm_cluster_ensure() {
	local mode=$1 lines
	if [ -n "${CLICKHOUSE_CLUSTER_URLS:-}" ]; then
		if dbm_cluster_ok "$CLICKHOUSE_CLUSTER_URLS" "${CLICKHOUSE_CLUSTER_NAME:-}"; then
			dbm_log "ClickHouse cluster ${CLICKHOUSE_CLUSTER_NAME}: $(dbm_redact "${CLICKHOUSE_CLUSTER_URLS%%,*}") and others (from CLICKHOUSE_CLUSTER_URLS)"
			return 0
		fi
		dbm_log "CLICKHOUSE_CLUSTER_URLS does not answer as cluster '${CLICKHOUSE_CLUSTER_NAME:-}' (set CLICKHOUSE_CLUSTER_NAME too); starting one"
	fi
	if lines="$(dbm_cluster_state_env)"; then
		eval "$lines"
		dbm_log "ClickHouse cluster: $CLICKHOUSE_CLUSTER_URLS (already running)"
		return 0
	fi
	dbm_cluster_spawn "$mode"
}

# --- entry points -------------------------------------------------------------------------------

dbm_services_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	dbm_cluster_stop
	dbm_ch_stop
	exit "$rc"
}

dbm_services_up() {
	if [ "${BASH_SOURCE[0]}" != "$0" ]; then
		# Sourced: whatever happens next in the caller, the private servers go with it.
		trap dbm_services_cleanup EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
	fi
	dbm_pg_ensure && dbm_ch_ensure owned && dbm_cluster_ensure owned
}

# The cluster's variables as `export` lines.
dbm_cluster_exports() {
	printf 'export CLICKHOUSE_CLUSTER_URLS=%q\nexport CLICKHOUSE_CLUSTER_NAME=%q\nexport CLICKHOUSE_SHARDED_CLUSTER_NAME=%q\nexport CLICKHOUSE_CLUSTER_ZOOKEEPER=%q\n' \
		"$CLICKHOUSE_CLUSTER_URLS" "$CLICKHOUSE_CLUSTER_NAME" "${CLICKHOUSE_SHARDED_CLUSTER_NAME:-}" "${CLICKHOUSE_CLUSTER_ZOOKEEPER:-}"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
	dbm_services_up || return 1
else
	set -euo pipefail
	case "${1:-}" in
	start)
		dbm_pg_ensure
		dbm_ch_ensure detached
		if [ -n "$DBM_CH_PID" ]; then
			mkdir -p "$DBM_STATE_DIR"
			printf 'pid=%q\ndir=%q\nurl=%q\n' "$DBM_CH_PID" "$DBM_CH_DIR" "$CLICKHOUSE_TEST_URL" \
				>"$DBM_STATE_DIR/clickhouse.env"
			dbm_log "left ClickHouse running (pid $DBM_CH_PID); stop it with: bash tests/services.sh stop"
		fi
		dbm_cluster_ensure detached
		if [ -n "$DBM_CLUSTER_DIR" ]; then
			mkdir -p "$DBM_STATE_DIR"
			printf 'pids=%q\ndir=%q\nurls=%q\nname=%q\nsharded=%q\nzookeeper=%q\n' "${DBM_CLUSTER_PIDS[*]}" \
				"$DBM_CLUSTER_DIR" "$CLICKHOUSE_CLUSTER_URLS" "$CLICKHOUSE_CLUSTER_NAME" \
				"$CLICKHOUSE_SHARDED_CLUSTER_NAME" "$CLICKHOUSE_CLUSTER_ZOOKEEPER" >"$DBM_STATE_DIR/cluster.env"
			dbm_log "left the ClickHouse cluster running (pids ${DBM_CLUSTER_PIDS[*]}); stop it with: bash tests/services.sh stop"
		fi
		printf 'export PG_TEST_URL=%q\nexport CLICKHOUSE_TEST_URL=%q\n' "$PG_TEST_URL" "$CLICKHOUSE_TEST_URL"
		dbm_cluster_exports
		;;
	stop)
		f="$DBM_STATE_DIR/clickhouse.env"
		if [ -f "$f" ]; then
			# shellcheck disable=SC1090
			DBM_CH_PID="$(. "$f" && echo "$pid")" DBM_CH_DIR="$(. "$f" && echo "$dir")"
			# Only a pid that still runs clickhouse: after a reboot it may belong to something else.
			if ! grep -qs clickhouse "/proc/$DBM_CH_PID/cmdline"; then DBM_CH_PID=""; fi
			dbm_ch_stop
			rm -f "$f"
			dbm_log "stopped ClickHouse started by 'start'"
		else
			dbm_log "nothing recorded by 'start' for ClickHouse; nothing to stop"
		fi
		f="$DBM_STATE_DIR/cluster.env"
		if [ -f "$f" ]; then
			# shellcheck disable=SC1090
			DBM_CLUSTER_DIR="$(. "$f" && echo "$dir")"
			# Only pids that still run a process of that dir: after a reboot they may be others'.
			for pid in $(. "$f" && echo "$pids"); do
				if grep -qs "$DBM_CLUSTER_DIR/" "/proc/$pid/cmdline"; then DBM_CLUSTER_PIDS+=("$pid"); else DBM_CLUSTER_PIDS+=(""); fi
			done
			dbm_cluster_stop
			rm -f "$f"
			dbm_log "stopped the ClickHouse cluster started by 'start'"
		fi
		;;
	env)
		dbm_pg_ensure
		url="${CLICKHOUSE_TEST_URL:-}"
		if [ -z "$url" ] || ! dbm_ch_ok "$url"; then url="$(dbm_ch_state_url || true)"; fi
		if [ -z "$url" ] && dbm_ch_ok "http://default@127.0.0.1:8123/default"; then
			url="http://default@127.0.0.1:8123/default"
		fi
		[ -n "$url" ] || dbm_die "no ClickHouse answers; run: bash tests/services.sh start"
		printf 'export PG_TEST_URL=%q\nexport CLICKHOUSE_TEST_URL=%q\n' "$PG_TEST_URL" "$url"
		if [ -n "${CLICKHOUSE_CLUSTER_URLS:-}" ] && dbm_cluster_ok "$CLICKHOUSE_CLUSTER_URLS" "${CLICKHOUSE_CLUSTER_NAME:-}"; then
			dbm_cluster_exports
		elif ! dbm_cluster_state_env; then
			dbm_log "no ClickHouse cluster answers (the cluster tests will fail); run: bash tests/services.sh start"
		fi
		;;
	cluster-run)
		# A scratch cluster in the foreground, for a test that stops or restarts a replica: prints
		# the cluster's `export` lines and then CLICKHOUSE_CLUSTER_DIR and CLICKHOUSE_CLUSTER_PIDS
		# (ZooKeeper, replica 1, replica 2; replica N's dir is DIR/chN, which
		# `clickhouse-run DIR/chN PORT` starts again), and stops it all on SIGTERM or when its parent dies.
		trap 'exit 143' TERM
		trap 'exit 130' INT
		trap 'dbm_cluster_stop' EXIT
		dbm_cluster_spawn owned
		dbm_cluster_exports
		printf 'export CLICKHOUSE_CLUSTER_DIR=%q\nexport CLICKHOUSE_CLUSTER_PIDS=%q\n' "$DBM_CLUSTER_DIR" "${DBM_CLUSTER_PIDS[*]}"
		echo "# ready"
		# `wait` returns when a trapped signal arrives; a server the test killed is reaped here. It
		# stays while any of them runs: a test may kill ZooKeeper and start it again
		# (`zookeeper-run DIR`) while the replicas run on.
		while kill -0 "${DBM_CLUSTER_PIDS[0]}" 2>/dev/null || kill -0 "${DBM_CLUSTER_PIDS[1]}" 2>/dev/null ||
			kill -0 "${DBM_CLUSTER_PIDS[2]}" 2>/dev/null; do
			wait -n 2>/dev/null || sleep 0.5
		done
		;;
	zookeeper-run)
		# ZooKeeper of a scratch cluster in the foreground, started again on its DIR (its data and
		# port kept, so the replicas' sessions can come back), dying with its parent (the test).
		dir="${2:?usage: bash tests/services.sh zookeeper-run DIR}"
		[ -f "$dir/zk/zoo.cfg" ] || dbm_die "no ZooKeeper config in $dir/zk"
		cmd=(java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dzookeeper.log.dir="$dir/zk"
			-cp "$DBM_ZK_JAR" org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zk/zoo.cfg")
		if command -v setpriv >/dev/null 2>&1; then exec setpriv --pdeathsig KILL -- "${cmd[@]}"; fi
		exec "${cmd[@]}"
		;;
	clickhouse-run)
		# A scratch ClickHouse in the foreground, for a test that must kill or restart its server:
		# writes the config into DIR once (a restart on the same DIR keeps the data) and becomes
		# the server, which dies with its parent (the test) even when that is SIGKILLed.
		dir="${2:?usage: bash tests/services.sh clickhouse-run DIR PORT}" port="${3:?PORT}"
		dbm_ch_server_cmd || dbm_die "clickhouse-server is not installed (apt-get install clickhouse-server)"
		[ -f "$dir/config.xml" ] || dbm_ch_write_config "$dir" "$port"
		if command -v setpriv >/dev/null 2>&1; then
			exec setpriv --pdeathsig KILL -- "${DBM_CH_CMD[@]}" --config-file="$dir/config.xml"
		fi
		exec "${DBM_CH_CMD[@]}" --config-file="$dir/config.xml"
		;;
	*)
		echo "usage: bash tests/services.sh start|stop|env|clickhouse-run DIR PORT|cluster-run|zookeeper-run DIR   (or: source tests/services.sh)" >&2
		exit 2
		;;
	esac
fi
