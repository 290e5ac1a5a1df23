#!/usr/bin/env bash
# Makes sure the Debian packages whose servers the integration tests start are installed (redis,
# nats, mosquitto, rabbitmq, postgresql, etcd) with chromium (the dashboard's browser tests drive
# it through playwright-core, which downloads no browser of its own), and
# that none of them runs as a system service: the tests start their own instances on free
# loopback ports (src/testing/servers/), and a system instance would only hold ports and memory.
#
# Idempotent and fast when everything is present (a few dpkg-query calls, no network).
# Needs root to install; without root it only reports what is missing.
set -euo pipefail

# package -> the init/systemd service it would start
declare -A SERVICE_OF=(
  [redis-server]=redis-server
  [nats-server]=nats-server
  [mosquitto]=mosquitto
  [rabbitmq-server]=rabbitmq-server
  [postgresql]=postgresql
  [etcd-server]=etcd
)
PACKAGES=(redis-server nats-server mosquitto rabbitmq-server postgresql etcd-server)
# Packages with no service to keep stopped.
TOOLS=(chromium)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

has_systemd() { [ -d /run/systemd/system ]; }

# Stops and disables a system instance; never touches processes that tests started, because it
# goes through the service manager (systemd units or the init script's pid file), not by name.
disable_service() {
  local svc=$1
  if has_systemd; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
    # rabbitmq brings epmd along as a socket-activated unit
    [ "$svc" = rabbitmq-server ] && systemctl disable --now epmd.socket epmd.service >/dev/null 2>&1 || true
  else
    if [ -x "/etc/init.d/$svc" ]; then
      service "$svc" stop >/dev/null 2>&1 || true
      update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  fi
}

missing=()
for pkg in "${PACKAGES[@]}" "${TOOLS[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  # Nothing to install. On a systemd machine still make sure no unit is running (cheap).
  if has_systemd; then
    for pkg in "${PACKAGES[@]}"; do
      svc=${SERVICE_OF[$pkg]}
      if systemctl is-active --quiet "$svc" 2>/dev/null || systemctl is-enabled --quiet "$svc" 2>/dev/null; then
        disable_service "$svc"
      fi
    done
  fi
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-services: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi

echo "ensure-services: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Other engineers or CI steps may hold the dpkg lock for a while: wait for it rather than fail.
apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
apt-get "${apt_opts[@]}" update -qq
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

for pkg in "${missing[@]}"; do
  if [ -n "${SERVICE_OF[$pkg]:-}" ]; then disable_service "${SERVICE_OF[$pkg]}"; fi
done
# rabbitmq-server's postinst runs rabbitmqctl, which leaves a system epmd listening on all
# interfaces at the default port 4369. The tests run their own epmd on a free loopback port, so
# stop this one (`epmd -kill` addresses only the default port, never a test's epmd).
if [[ " ${missing[*]} " == *" rabbitmq-server "* ]] && command -v epmd >/dev/null; then
  epmd -kill >/dev/null 2>&1 || true
fi
echo "ensure-services: done" >&2
