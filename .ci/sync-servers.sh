#!/usr/bin/env bash
# Real sync servers for the tests, on loopback, from nothing: Tiny Tiny RSS (Debian's tt-rss, PostgreSQL 15,
# apache2/mod_php) and coldsweat (a Fever API server, from PyPI), plus a folder of test feeds served at
# http://[::1]/ (the one loopback address tt-rss accepts a feed from).
#
#   .ci/sync-servers.sh start    install what is missing, start what is down, reset the test users' data,
#                                write .ci/sync-servers.env (what tests/sync_servers.py reads)
#   .ci/sync-servers.sh stop     stop what start started
#   .ci/sync-servers.sh status   say what is up; exit 1 if something is down
#   .ci/sync-servers.sh ttrss-update    run tt-rss's updater on every feed now (what its daemon would do)
#   .ci/sync-servers.sh fever-fetch     make coldsweat fetch every feed now
#
# Idempotent: a second `start` installs nothing and restarts nothing that is up. Runs as root (apt, su).
# Everything listens on loopback only. State lives in $SYNC_STATE (default /var/tmp/newsreader-sync),
# outside the work tree, so another clone on the same machine finds it installed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT="$HERE/$(basename "${BASH_SOURCE[0]}")"
ENV_FILE=${SYNC_ENV_FILE:-$HERE/sync-servers.env}
STATE=${SYNC_STATE:-/var/tmp/newsreader-sync}
FEEDS_DIR=$STATE/feeds

TTRSS_PORT=${TTRSS_PORT:-8280}
PG_PORT=${SYNC_PG_PORT:-5439}
PG_CLUSTER=nrsync
FEVER_PORT=${FEVER_PORT:-8290}
TTRSS_URL="http://127.0.0.1:$TTRSS_PORT/tt-rss/"
FEVER_URL="http://127.0.0.1:$FEVER_PORT/fever/"
FEEDS_URL="http://[::1]/"
TTRSS_WWW=/usr/share/tt-rss/www
# Test accounts: throwaway, loopback only. The passwords carry spaces, quotes, '&' and non-ASCII so the
# clients' encoding is exercised ('<' and edge spaces are not: tt-rss strips tags and trims every parameter).
TTRSS_USER=newsreader
TTRSS_PASSWORD='sync pässwörd & "quotes" 1'
TTRSS_NOAPI_USER=newsreader-noapi
TTRSS_NOAPI_PASSWORD='noapi pässwörd 2'
FEVER_USER=newsreader@example.invalid
FEVER_PASSWORD='fever pässwörd & 3'
COLDSWEAT_VERSION=0.10.2  # the Fever quirks tests/test_sync_fever.py knows are this version's
COLDSWEAT_VENV=$STATE/coldsweat-venv
COLDSWEAT_DB=$STATE/coldsweat/coldsweat.db

T0=${EPOCHREALTIME/./}
say() { local us=$(( ${EPOCHREALTIME/./} - T0 )); printf '[sync-servers %3d.%01ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*"; }
die() { echo "sync-servers: $*" >&2; exit 1; }

coldsweat() {
    # The Flask CLI reads its settings from FLASK_* variables; the database is ours, not the venv's.
    FLASK_APP=coldsweat FLASK_DATABASE_URL="sqlite:///$COLDSWEAT_DB" FLASK_SECRET_KEY=newsreader-sync-tests \
        "$COLDSWEAT_VENV/bin/coldsweat" "$@"
}

pg_up() { pg_lsclusters -h 2>/dev/null | awk -v c=$PG_CLUSTER '$1 == 15 && $2 == c && $4 == "online"' | grep -q .; }
apache_up() { curl -sf -o /dev/null "${TTRSS_URL}api/" 2>/dev/null; }
fever_up() { curl -sf -o /dev/null -d x=1 "${FEVER_URL}?api" 2>/dev/null; }
feeds_up() { curl -sfg -o /dev/null "${FEEDS_URL}index.txt" 2>/dev/null; }
ttrss_installed() { [ "$(dpkg-query -W -f='${Status}' tt-rss 2>/dev/null)" = "install ok installed" ]; }
coldsweat_installed() { compgen -G "$COLDSWEAT_VENV/lib/python3*/site-packages/coldsweat-$COLDSWEAT_VERSION.dist-info" >/dev/null; }

# ---------------------------------------------------------------------------------------------- PostgreSQL
start_postgres() {
    # Our own cluster (not 'main'), tuned for throwaway data: no fsync, loopback only.
    if ! pg_lsclusters -h | awk -v c=$PG_CLUSTER '$1 == 15 && $2 == c' | grep -q .; then
        pg_createcluster 15 $PG_CLUSTER --port $PG_PORT >/dev/null
        # (pg_createcluster -o and pg_conftool write an address unquoted, which postgres cannot parse)
        cat > /etc/postgresql/15/$PG_CLUSTER/conf.d/newsreader.conf <<'EOF'
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi
    pg_up || pg_ctlcluster 15 $PG_CLUSTER start
    until pg_isready -q -h /var/run/postgresql -p $PG_PORT; do sleep 0.1; done
}
psql_ttrss() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p $PG_PORT -d ttrss "$@"; }

# ------------------------------------------------------------------------------------------------- tt-rss
install_ttrss() {
    # A half-installed tt-rss (say, its database dropped) is purged and installed again: dbconfig-common
    # creates the database and schema only on install. After a purge, stale dbconfig templates make
    # debconf-set-selections fail ("Cannot find a question"): fix_db.pl drops them.
    if dpkg-query -W tt-rss >/dev/null 2>&1; then apt-get purge -y -q tt-rss >/dev/null || true; fi
    [ -x /usr/share/debconf/fix_db.pl ] && /usr/share/debconf/fix_db.pl >/dev/null 2>&1 || true
    # TCP/IP to localhost with admin auth 'ident': dbconfig runs its admin SQL as the postgres OS user over
    # the socket, and tt-rss logs in as role ttrss with a password over 127.0.0.1 (scram in pg_hba.conf).
    debconf-set-selections <<EOF
tt-rss tt-rss/dbconfig-install boolean true
tt-rss tt-rss/database-type select pgsql
tt-rss tt-rss/pgsql/method select TCP/IP
tt-rss tt-rss/remote/host select localhost
tt-rss tt-rss/remote/port string $PG_PORT
tt-rss tt-rss/pgsql/authmethod-admin select ident
tt-rss tt-rss/pgsql/authmethod-user select password
tt-rss tt-rss/pgsql/app-pass password ttrss-ci-db-pass
tt-rss tt-rss/app-password-confirm password ttrss-ci-db-pass
tt-rss tt-rss/db/dbname string ttrss
tt-rss tt-rss/db/app-user string ttrss
tt-rss tt-rss/reconfigure-webserver multiselect apache2
tt-rss tt-rss/self_url_path string $TTRSS_URL
EOF
    # Naming dbconfig-pgsql and php-pgsql keeps apt from taking the first alternatives (MySQL).
    # force-unsafe-io: no fsync per unpacked file, on a machine that is thrown away anyway.
    apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-unsafe-io \
        tt-rss dbconfig-pgsql php-pgsql php-curl apache2 libapache2-mod-php curl >/dev/null
}

configure_ttrss() {
    # The package's postinst re-reads SELF_URL_PATH from config.php and overwrites the preseed with it.
    grep -qF "define('SELF_URL_PATH', '$TTRSS_URL');" /etc/tt-rss/config.php ||
        sed -i "s|define('SELF_URL_PATH', '.*');|define('SELF_URL_PATH', '$TTRSS_URL');|" /etc/tt-rss/config.php
    install -d -m 755 "$FEEDS_DIR"
    echo ok > "$FEEDS_DIR/index.txt"
    # Loopback only: tt-rss on 127.0.0.1:$TTRSS_PORT, the test feeds on [::1]:80 (tt-rss refuses feeds on
    # 127.*, 'localhost', '::1' and ports other than 80/443, but the literal 'http://[::1]/' gets through).
    local ports="# written by newsreader .ci/sync-servers.sh
Listen 127.0.0.1:$TTRSS_PORT
Listen [::1]:80"
    [ "$(cat /etc/apache2/ports.conf)" = "$ports" ] || echo "$ports" > /etc/apache2/ports.conf
    cat > /etc/apache2/sites-available/newsreader-sync.conf <<EOF
# written by newsreader .ci/sync-servers.sh
ServerName 127.0.0.1
<VirtualHost [::1]:80>
    ServerName feeds.invalid
    DocumentRoot $FEEDS_DIR
    <Directory $FEEDS_DIR>
        Options -Indexes
        AllowOverride None
        Require all granted
    </Directory>
</VirtualHost>
EOF
    a2dissite -q 000-default >/dev/null 2>&1 || true
    a2ensite -q newsreader-sync >/dev/null
    a2enconf -q tt-rss >/dev/null 2>&1 || true
}

start_apache() {
    # policy-rc.d keeps apt and invoke-rc.d from starting services: call apache2ctl directly. A config
    # changed under a running apache needs a graceful restart; an unchanged one needs nothing.
    if apache_up && feeds_up; then
        local sum; sum=$(cat /etc/apache2/ports.conf /etc/apache2/sites-enabled/* | md5sum)
        [ "$sum" = "$(cat "$STATE/apache.sum" 2>/dev/null)" ] || apache2ctl graceful
    else
        apache2ctl stop >/dev/null 2>&1 || true
        apache2ctl start
    fi
    cat /etc/apache2/ports.conf /etc/apache2/sites-enabled/* | md5sum > "$STATE/apache.sum"
    local i=0
    until apache_up && feeds_up; do
        i=$((i + 1)); [ $i -lt 100 ] || die "apache did not answer on $TTRSS_URL and $FEEDS_URL"
        sleep 0.1
    done
}

reset_ttrss() {
    # The test users, created (or their password and API switch reset) and emptied of feeds and stories,
    # so every run starts from the same state and the updater never wades through old runs' feeds.
    # tt-rss 21 checks 'MODE2:' || sha256(salt || password).
    psql_ttrss -v user="$TTRSS_USER" -v pass="$TTRSS_PASSWORD" \
        -v noapi="$TTRSS_NOAPI_USER" -v noapipass="$TTRSS_NOAPI_PASSWORD" <<'SQL'
BEGIN;
CREATE TEMP TABLE wanted (login text, pass text, api boolean);
INSERT INTO wanted VALUES (:'user', :'pass', true), (:'noapi', :'noapipass', false);
-- Everything a user owns (feeds, categories, their story rows, prefs) goes with the user.
DELETE FROM ttrss_users u USING wanted w WHERE u.login = w.login;
DELETE FROM ttrss_entries e WHERE NOT EXISTS (SELECT 1 FROM ttrss_user_entries ue WHERE ue.ref_id = e.id);
INSERT INTO ttrss_users (login, salt, access_level, created, last_login, pwd_hash)
  SELECT login, 'newsreader-ci-salt', 0, NOW(), NOW(),
         'MODE2:' || encode(sha256(convert_to('newsreader-ci-salt' || pass, 'UTF8')), 'hex')
  FROM wanted;
INSERT INTO ttrss_user_prefs (owner_uid, pref_name, profile, value)
  SELECT u.id, 'ENABLE_API_ACCESS', NULL, CASE WHEN w.api THEN 'true' ELSE 'false' END
  FROM ttrss_users u JOIN wanted w ON u.login = w.login;
COMMIT;
SQL
}

ttrss_update() {
    # What tt-rss's update daemon does on its round, now, for every feed (--force-update ignores each
    # feed's interval). update.php refuses to run twice at once (its own lock file), so callers queue here.
    exec 9>"$STATE/ttrss-update.lock"
    flock 9
    runuser -u www-data -- sh -c "cd $TTRSS_WWW && exec php update.php --force-update --feeds --quiet"
}

# ----------------------------------------------------------------------------------------------- coldsweat
install_coldsweat() {
    rm -rf "$COLDSWEAT_VENV"
    python3 -m venv "$COLDSWEAT_VENV"
    "$COLDSWEAT_VENV/bin/pip" install -q --disable-pip-version-check --no-compile "coldsweat==$COLDSWEAT_VERSION"
}

stop_coldsweat() {
    local pid; pid=$(cat "$STATE/coldsweat.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    rm -f "$STATE/coldsweat.pid"
}

start_coldsweat() {
    # A fresh database every start (coldsweat keeps it in one SQLite file), so a run starts from one state:
    # a copy of the one `coldsweat setup` made the first time (setup itself costs a second and a half).
    stop_coldsweat
    rm -rf "$(dirname "$COLDSWEAT_DB")"; mkdir -p "$(dirname "$COLDSWEAT_DB")"
    if [ ! -f "$STATE/coldsweat-setup.db" ]; then
        coldsweat setup "$FEVER_USER" -p "$FEVER_PASSWORD" >/dev/null
        sqlite3_checkpoint "$COLDSWEAT_DB"
        cp "$COLDSWEAT_DB" "$STATE/coldsweat-setup.db"
    else
        cp "$STATE/coldsweat-setup.db" "$COLDSWEAT_DB"
    fi
    # setsid: the server outlives this script (and its caller's job control), on loopback only.
    FLASK_APP=coldsweat FLASK_DATABASE_URL="sqlite:///$COLDSWEAT_DB" FLASK_SECRET_KEY=newsreader-sync-tests \
        setsid "$COLDSWEAT_VENV/bin/coldsweat" run -h 127.0.0.1 -p "$FEVER_PORT" \
        </dev/null >"$STATE/coldsweat.log" 2>&1 &
    echo $! > "$STATE/coldsweat.pid"
    local i=0
    until fever_up; do
        i=$((i + 1)); [ $i -lt 300 ] || die "coldsweat did not answer on $FEVER_URL (see $STATE/coldsweat.log)"
        kill -0 "$(cat "$STATE/coldsweat.pid")" 2>/dev/null || die "coldsweat exited (see $STATE/coldsweat.log)"
        sleep 0.1
    done
}

sqlite3_checkpoint() {
    # coldsweat opens its database in WAL mode: fold the log into the file before copying the file alone.
    "$COLDSWEAT_VENV/bin/python" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA wal_checkpoint(TRUNCATE)")' "$1"
}

fever_fetch() {
    # coldsweat skips a feed checked in the last 3 minutes, and asks with If-None-Match/If-Modified-Since:
    # forget both first, so every feed is fetched now and whole (tt-rss's --force-update, for coldsweat).
    exec 9>"$STATE/fever-fetch.lock"
    flock 9
    "$COLDSWEAT_VENV/bin/python" -c 'import sqlite3, sys
with sqlite3.connect(sys.argv[1], timeout=30) as db:
    db.execute("UPDATE feeds SET last_checked_on = NULL, last_updated_on = NULL, etag = \x27\x27")' "$COLDSWEAT_DB"
    coldsweat fetch
}

fever_subscribe() {
    # Fever has no call to subscribe; coldsweat imports OPML. Usage: fever-subscribe URL [TITLE [GROUP]]
    local url=$1 title=${2:-$1} group=${3:-}
    local opml; opml=$(mktemp "$STATE/subscribe.XXXXXX.opml")
    python3 - "$opml" "$url" "$title" "$group" <<'PY'
import sys
from xml.sax.saxutils import quoteattr
path, url, title, group = sys.argv[1:]
outline = f'<outline type="rss" text={quoteattr(title)} title={quoteattr(title)} xmlUrl={quoteattr(url)}/>'
if group:
    outline = f'<outline text={quoteattr(group)} title={quoteattr(group)}>{outline}</outline>'
with open(path, "w", encoding="utf-8") as f:
    f.write(f'<?xml version="1.0" encoding="utf-8"?><opml version="1.0"><head><title>t</title></head><body>{outline}</body></opml>')
PY
    coldsweat import "$opml" "$FEVER_USER" >/dev/null
    rm -f "$opml"
}

# ------------------------------------------------------------------------------------------------ commands
write_env() {
    # Shell syntax (single-quoted values) that tests/sync_servers.py reads with shlex; `source` works too.
    local tmp="$ENV_FILE.tmp"
    {
        echo "# written by .ci/sync-servers.sh start; read by tests/sync_servers.py"
        printf "%s='%s'\n" \
            TTRSS_URL "$TTRSS_URL" TTRSS_USER "$TTRSS_USER" TTRSS_PASSWORD "$TTRSS_PASSWORD" \
            TTRSS_NOAPI_USER "$TTRSS_NOAPI_USER" TTRSS_NOAPI_PASSWORD "$TTRSS_NOAPI_PASSWORD" \
            TTRSS_UPDATE "$SCRIPT ttrss-update" \
            TTRSS_PSQL "runuser -u postgres -- psql -X -q -A -t -p $PG_PORT -d ttrss" \
            FEVER_URL "$FEVER_URL" FEVER_USER "$FEVER_USER" FEVER_PASSWORD "$FEVER_PASSWORD" \
            FEVER_FETCH "$SCRIPT fever-fetch" FEVER_SUBSCRIBE "$SCRIPT fever-subscribe" FEVER_DB "$COLDSWEAT_DB" \
            FEEDS_DIR "$FEEDS_DIR" FEEDS_URL "$FEEDS_URL"
    } > "$tmp"
    mv "$tmp" "$ENV_FILE"
}

cmd_start() {
    [ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts services)"
    mkdir -p "$STATE"
    # coldsweat (pip, then a Python server starting) runs beside apt and PostgreSQL: two cores, two jobs.
    (
        if ! coldsweat_installed; then
            install_coldsweat > "$STATE/coldsweat-install.log" 2>&1 ||
                { cat "$STATE/coldsweat-install.log" >&2; die "pip install coldsweat failed"; }
            say "coldsweat $COLDSWEAT_VERSION installed"
        fi
        start_coldsweat
        say "coldsweat up: Fever API at $FEVER_URL"
    ) &
    local cs_pid=$!
    trap "wait $cs_pid" EXIT  # a failure below still lets pip finish, rather than leave a half-made venv behind
    command -v pg_ctlcluster >/dev/null || { apt-get update -q >/dev/null; apt-get install -y -q postgresql-15 >/dev/null; }
    start_postgres
    say "postgres up (cluster 15/$PG_CLUSTER, port $PG_PORT)"
    if ! ttrss_installed || ! psql_ttrss -c 'SELECT 1 FROM ttrss_users LIMIT 1' >/dev/null 2>&1; then
        apt-get update -q >/dev/null
        install_ttrss
        say "tt-rss installed"
    fi
    configure_ttrss
    start_apache
    say "apache up: tt-rss at $TTRSS_URL, test feeds at $FEEDS_URL"
    reset_ttrss
    say "tt-rss users $TTRSS_USER (API on) and $TTRSS_NOAPI_USER (API off) reset"
    trap - EXIT
    wait "$cs_pid" || die "coldsweat did not start"
    write_env
    say "ready: $ENV_FILE"
}

cmd_stop() {
    stop_coldsweat
    apache2ctl stop >/dev/null 2>&1 || true
    if pg_up; then pg_ctlcluster 15 $PG_CLUSTER stop; fi
    rm -f "$ENV_FILE"
    say "stopped"
}

cmd_status() {
    local ok=0
    pg_up && echo "postgres  up   15/$PG_CLUSTER port $PG_PORT" || { echo "postgres  down"; ok=1; }
    apache_up && echo "tt-rss    up   $TTRSS_URL" || { echo "tt-rss    down"; ok=1; }
    feeds_up && echo "feeds     up   $FEEDS_URL ($FEEDS_DIR)" || { echo "feeds     down"; ok=1; }
    fever_up && echo "coldsweat up   $FEVER_URL" || { echo "coldsweat down"; ok=1; }
    return $ok
}

case "${1:-start}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    ttrss-update) ttrss_update ;;
    fever-fetch) fever_fetch ;;
    fever-subscribe) shift; fever_subscribe "$@" ;;
    *) die "usage: $0 [start|stop|status|ttrss-update|fever-fetch|fever-subscribe URL [TITLE [GROUP]]]" ;;
esac
