#!/bin/sh
# Installs the Debian 12 packages strata needs to build and test (only the
# missing ones), and generates the zh_CN.UTF-8 locale its Chinese messages
# are tested in.  Runs apt-get and locale-gen as root, or through sudo.
set -eu
pkgs="build-essential autoconf automake autopoint gettext locales pkg-config git openssh-client ca-certificates
      libgit2-dev libssl-dev zlib1g-dev libarchive-dev libarchive-tools libjansson-dev libyaml-dev check graphviz
      libevent-dev libcurl4-openssl-dev openssl curl procps perl python3 strace time tzdata
      libsqlite3-dev sqlite3 systemd bash $*"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
if [ -n "$missing" ]; then
	echo "installing:$missing" >&2
	$sudo apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi
# the Chinese interface (LANG=zh_CN.UTF-8) needs the locale generated
if ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf8'; then
	echo "generating the zh_CN.UTF-8 locale" >&2
	$sudo sed -i 's/^# *zh_CN.UTF-8 UTF-8/zh_CN.UTF-8 UTF-8/' /etc/locale.gen
	grep -q '^zh_CN.UTF-8 UTF-8' /etc/locale.gen || echo 'zh_CN.UTF-8 UTF-8' | $sudo tee -a /etc/locale.gen >/dev/null
	$sudo locale-gen >/dev/null
fi
