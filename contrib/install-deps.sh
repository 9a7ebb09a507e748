#!/bin/sh
# Installs the Debian 12 packages strata needs to build and test (only the
# missing ones).  Runs apt-get as root, or through sudo.
set -eu
pkgs="build-essential autoconf automake pkg-config git openssh-client ca-certificates
      libgit2-dev libssl-dev zlib1g-dev libarchive-dev libarchive-tools libjansson-dev libyaml-dev check graphviz
      libevent-dev libcurl4-openssl-dev openssl curl procps perl python3 strace time tzdata
      libsqlite3-dev sqlite3 systemd bash $*"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
echo "installing:$missing" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
