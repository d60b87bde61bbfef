#!/bin/sh
# Start a Docker engine for the image and stack tests when none answers: Debian's dockerd, as
# root, with overlay2. CI machines have no systemd, so it is started directly and left running.
# Exit status 0: an engine answers on /var/run/docker.sock; anything else: none could start.
set -eu

DOCKER=/usr/bin/docker  # Debian's client, which speaks to its dockerd with BuildKit built in
log="${DOCKERD_LOG:-/var/log/catsdogs-dockerd.log}"

answers() {
    "$DOCKER" info >/dev/null 2>&1
}

answers && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v dockerd >/dev/null; then
    echo "start-docker: no Docker engine answers and dockerd cannot be started here" >&2
    exit 1
fi
# setsid: the engine outlives the test session that started it, so a second session reuses it.
setsid dockerd --storage-driver overlay2 >>"$log" 2>&1 </dev/null &
i=0
while [ "$i" -lt 60 ]; do
    answers && exit 0
    i=$((i + 1))
    sleep 1
done
echo "start-docker: dockerd did not answer within a minute; last lines of $log:" >&2
tail -n 20 "$log" >&2
exit 1
