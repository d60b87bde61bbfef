#!/usr/bin/env bash
# Install the Debian tools the monitoring and browser tests use, when missing and when we can.
# Without them those tests skip with a reason; everything else still runs.
set -euo pipefail

missing=()
for pair in prometheus:prometheus promtool:prometheus \
            prometheus-alertmanager:prometheus-alertmanager chromium:chromium; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair##*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "Note: install ${missing[*]} (Debian packages) to run the monitoring and browser tests." >&2
fi
