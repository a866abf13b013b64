#!/usr/bin/env bash
# TLS test fixtures for db-migrate: certificates made with openssl on the fly, and a private
# PostgreSQL that speaks only TLS. The tests that need them start them (tests/drivers/_tls.ts), so a
# run that does not touch TLS pays nothing.
#
#   bash tests/tls.sh certs DIR       write into DIR (made if missing):
#       ca.crt ca.key                 a scratch CA
#       server.crt server.key         a server certificate from that CA for localhost and 127.0.0.1
#       expired.crt expired.key       the same names, from the same CA, no longer valid
#       other-ca.crt                  an unrelated CA that signed nothing we use
#       client.crt client.key         a client certificate from the CA, CN=dbm_cert
#   bash tests/tls.sh pg-run DIR PORT
#       a PostgreSQL cluster in DIR/pg (made once, with the certificates of `certs DIR`), in the
#       foreground: listens on 127.0.0.1 and 127.0.0.2, accepts TLS only (hostssl); user dbm_tls
#       needs nothing more, user dbm_cert needs a client certificate (auth method `cert`). It dies
#       with its parent, even when that is SIGKILLed.
#
# Progress and openssl's chatter go to standard error.
set -euo pipefail

tls_log() { echo "tls: $*" >&2; }

# Elliptic-curve keys: a few milliseconds each, where RSA 2048 costs about 100 ms.
tls_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# tls_sign DIR NAME SUBJECT DAYS EXTENSIONS: NAME.crt from NAME.key, signed by DIR/ca.
tls_sign() {
	local dir=$1 name=$2 subject=$3 days=$4 ext=$5
	tls_key "$dir/$name.key"
	openssl req -new -key "$dir/$name.key" -subj "$subject" -out "$dir/$name.csr" 2>/dev/null
	printf '%b\n' "$ext" >"$dir/$name.ext"
	openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days "$days" -extfile "$dir/$name.ext" \
		-out "$dir/$name.crt" 2>/dev/null
	rm -f "$dir/$name.csr" "$dir/$name.ext"
}

tls_certs() {
	local dir=$1
	mkdir -p "$dir"
	tls_key "$dir/ca.key"
	openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=db-migrate test CA" -days 2 \
		-out "$dir/ca.crt" 2>/dev/null
	tls_key "$dir/other-ca.key"
	openssl req -x509 -new -key "$dir/other-ca.key" -subj "/CN=db-migrate other CA" -days 2 \
		-out "$dir/other-ca.crt" 2>/dev/null
	local server='subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth'
	tls_sign "$dir" server "/CN=localhost" 2 "$server"
	# -days -1: not after is a day before not before, so the certificate has expired by the time
	# anyone looks at it (OpenSSL 3.0 has no -not_after).
	tls_sign "$dir" expired "/CN=localhost" -1 "$server"
	tls_sign "$dir" client "/CN=dbm_cert" 2 'extendedKeyUsage=clientAuth'
	# libpq refuses a key that others may read; so does the server for its own.
	chmod 600 "$dir"/*.key
}

# Runs a PostgreSQL server binary as the postgres OS user when we are root (initdb refuses root).
tls_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@"
	else
		"$@"
	fi
}

tls_pg_bin() {
	local bin
	for bin in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		[ -x "$bin/initdb" ] && echo "$bin" && return 0
	done
	if command -v pg_config >/dev/null 2>&1; then
		bin="$(pg_config --bindir)"
		[ -x "$bin/initdb" ] && echo "$bin" && return 0
	fi
	tls_log "no PostgreSQL server binaries: apt-get install -y postgresql"
	return 1
}

tls_pg_run() {
	local dir=$1 port=$2 bin
	bin="$(tls_pg_bin)"
	[ -f "$dir/ca.crt" ] || tls_certs "$dir"
	if [ ! -f "$dir/pg/PG_VERSION" ]; then
		mkdir -p "$dir/pg"
		if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; fi
		tls_as_owner "$bin/initdb" -D "$dir/pg" -U dbm_tls --auth=trust -E UTF8 --no-sync >/dev/null
		echo "CREATE ROLE dbm_cert LOGIN SUPERUSER" |
			tls_as_owner "$bin/postgres" --single -D "$dir/pg" -j postgres >/dev/null
		cat >>"$dir/pg/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1,127.0.0.2'
port = $port
unix_socket_directories = '$dir'
fsync = off
ssl = on
ssl_cert_file = '$dir/server.crt'
ssl_key_file = '$dir/server.key'
ssl_ca_file = '$dir/ca.crt'
EOF
		# TLS only: no `host` line, so a plain connection finds no entry. dbm_cert logs in with
		# its client certificate (its CN is the user name); everyone else is trusted over TLS.
		cat >"$dir/pg/pg_hba.conf" <<EOF
local   all  all                   trust
hostssl all  dbm_cert  127.0.0.0/8 cert
hostssl all  all       127.0.0.0/8 trust
EOF
	fi
	local run=("$bin/postgres" -D "$dir/pg")
	if [ "$(id -u)" = 0 ]; then
		# setpriv sets the parent-death signal after the switch of user, which would clear it.
		exec setpriv --reuid=postgres --regid=postgres --clear-groups --pdeathsig KILL -- "${run[@]}"
	fi
	if command -v setpriv >/dev/null 2>&1; then exec setpriv --pdeathsig KILL -- "${run[@]}"; fi
	exec "${run[@]}"
}

case "${1:-}" in
certs) tls_certs "${2:?usage: bash tests/tls.sh certs DIR}" ;;
pg-run) tls_pg_run "${2:?usage: bash tests/tls.sh pg-run DIR PORT}" "${3:?PORT}" ;;
*)
	echo "usage: bash tests/tls.sh certs DIR | pg-run DIR PORT" >&2
	exit 2
	;;
esac
