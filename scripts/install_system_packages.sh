#!/usr/bin/env bash
# Debian packages the tests and the cluster need: chromium (browser tests of the chat
# widget) and nginx (the load balancer of `make cluster`). Installs only what is missing.
set -euo pipefail
wanted=()
command -v chromium >/dev/null 2>&1 || wanted+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || wanted+=(nginx-light)
[ ${#wanted[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: missing ${wanted[*]}; install them with your system's package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: run as root or install: ${wanted[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "==> installing Debian packages: ${wanted[*]} (about a minute)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
# nginx from Debian starts a default site on port 80 as a service; the project runs its own.
if [ -x /usr/sbin/nginx ] && pgrep -x nginx >/dev/null 2>&1 && [ -f /run/nginx.pid ]; then
  $sudo /usr/sbin/nginx -s stop 2>/dev/null || true
fi
echo "==> installed: ${wanted[*]}"
