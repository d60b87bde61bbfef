#!/bin/sh
# Local stand-ins for the registry images the image and stack tests need, since no image
# registry answers here (the Dockerfile's base is pulled instead when one does): a Debian
# bookworm root file system (debootstrap) imported as
# catsdogs-standin/debian:bookworm, then, from it and Debian's packages, the Dockerfile's pinned
# Python base image (under exactly its name) and PostgreSQL, Prometheus and Alertmanager.
# Each image is built only when missing: `docker image rm` one to rebuild it.
# Usage: sh ops/standins/build.sh [python] [postgres] [prometheus] [alertmanager]
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
DOCKER="${DOCKER:-/usr/bin/docker}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
BASE=catsdogs-standin/debian:bookworm

have() {
    "$DOCKER" image inspect "$1" >/dev/null 2>&1
}

base() {
    have "$BASE" && return 0
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    debootstrap --variant=minbase bookworm "$tmp/rootfs" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 \
        || { tail -n 20 "$tmp/debootstrap.log" >&2; exit 1; }
    # Trim what a container never uses, as the registry's slim images do.
    rm -rf "$tmp/rootfs/var/cache/apt/archives"/*.deb "$tmp/rootfs/var/lib/apt/lists"/* \
        "$tmp/rootfs/usr/share/doc"/* "$tmp/rootfs/usr/share/man"/*
    tar -C "$tmp/rootfs" -c . | "$DOCKER" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["bash"]' \
        --change 'LABEL org.catsdogs.stand-in=debootstrap-minbase-bookworm' \
        - "$BASE" >/dev/null
    rm -rf "$tmp"
    trap - EXIT
}

# The Dockerfile's FROM, so that the stand-in carries exactly the name users build from.
python_image() {
    sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$root/ops/Dockerfile" | head -n 1
}

standin() {
    name="$1"
    tag="$2"
    have "$tag" && return 0
    base
    context="$(mktemp -d)"
    cp -R "$here/$name/." "$context/"
    # The host's own certificate authorities (a TLS proxy's), for the images that fetch over https.
    mkdir -p "$context/host-ca"
    for ca in /usr/local/share/ca-certificates/*.crt; do
        [ -e "$ca" ] && cp "$ca" "$context/host-ca/"
    done
    status=0
    "$DOCKER" build --quiet --network host --build-arg "BASE=$BASE" -t "$tag" "$context" \
        >/dev/null || status=$?
    rm -rf "$context"
    return "$status"
}

[ $# -gt 0 ] || set -- python postgres prometheus alertmanager
for image in "$@"; do
    case "$image" in
        python)
            # The real base image when a registry answers; the stand-in only where none does.
            have "$(python_image)" || timeout 60 "$DOCKER" pull --quiet "$(python_image)" \
                >/dev/null 2>&1 || standin python "$(python_image)"
            ;;
        postgres) standin postgres catsdogs-standin/postgres:bookworm ;;
        prometheus) standin prometheus catsdogs-standin/prometheus:bookworm ;;
        alertmanager) standin alertmanager catsdogs-standin/alertmanager:bookworm ;;
        *) echo "build.sh: unknown stand-in $image" >&2; exit 2 ;;
    esac
done
