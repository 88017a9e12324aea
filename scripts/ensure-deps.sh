#!/bin/sh
# ensure-deps.sh NAME...: make sure a system dependency is installed. As root
# it installs the Debian package; otherwise it says exactly what to install.
set -eu

have_postgres() {
	command -v initdb >/dev/null 2>&1 && return 0
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && return 0
	done
	return 1
}

have_chromium() {
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

install() { # install PACKAGE WHAT
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing $2 (Debian package $1)..."
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
	else
		echo "modeltender needs $2. Install it with:" >&2
		echo "    sudo apt-get install $1" >&2
		exit 1
	fi
}

for dep in "$@"; do
	case "$dep" in
	postgres) have_postgres || install postgresql "the PostgreSQL server binaries (initdb, pg_ctl)" ;;
	chromium) have_chromium || install chromium "Chromium for the browser tests" ;;
	*) echo "ensure-deps.sh: unknown dependency $dep" >&2; exit 2 ;;
	esac
done
