#!/usr/bin/env bash
# Install the Debian tools the monitoring, browser and delivery tests use, when missing and when
# we can: Docker's engine and Compose v1 (the image and stack tests), debootstrap (the stand-ins
# for registry images, ops/standins), HAProxy and Redis (the two-replica tests).
# Without them those tests skip with a reason; everything else still runs.
set -euo pipefail

missing=()
for pair in prometheus:prometheus promtool:prometheus \
            prometheus-alertmanager:prometheus-alertmanager chromium:chromium \
            dockerd:docker.io docker-compose:docker-compose debootstrap:debootstrap \
            haproxy:haproxy redis-server:redis-server; do
  package="${pair##*:}"
  # promtool comes with prometheus: name each package once
  command -v "${pair%%:*}" >/dev/null || [[ " ${missing[*]} " == *" $package "* ]] \
    || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "Note: install ${missing[*]} (Debian packages) to run the monitoring, browser and" \
       "delivery tests." >&2
fi
