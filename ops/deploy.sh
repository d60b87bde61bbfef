#!/bin/sh
# Deploy the checked-out commit on the server: build its image (tagged with the commit), start
# the stack, wait for /health, and roll back to the previous image and commit if it never
# becomes healthy. Run from the repository root: sh ops/deploy.sh TAG (deploy.yml does).
set -eu

tag="${1:?usage: sh ops/deploy.sh TAG}"
attempts="${HEALTH_WAIT_ATTEMPTS:-36}"  # 5 s apart: three minutes for migrations and the model
interval="${HEALTH_WAIT_SECONDS:-5}"

compose() {
    docker compose -f ops/docker-compose.yml --env-file .env "$@"
}

env_value() {
    sed -n "s/^$1=//p" .env | tail -n 1
}

set_tag() {
    if grep -q '^APP_TAG=' .env; then
        sed -i "s/^APP_TAG=.*/APP_TAG=$1/" .env
    else
        printf 'APP_TAG=%s\n' "$1" >>.env
    fi
}

healthy() {
    i=0
    while [ "$i" -lt "$attempts" ]; do
        if compose exec -T app python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)" >/dev/null 2>&1; then
            return 0
        fi
        i=$((i + 1))
        sleep "$interval"
    done
    return 1
}

[ -f .env ] || { echo "deploy: no .env here; create it once with 'make .env' and edit it" >&2; exit 1; }
image="$(env_value APP_IMAGE)"
image="${image:-catsdogs-app}"
previous="$(env_value APP_TAG)"

echo "deploy: building $image:$tag (previous: ${previous:-none})"
set_tag "$tag"
compose build app
compose up -d --remove-orphans

if healthy; then
    echo "deploy: $image:$tag is healthy"
    # Keep the new and the previous image (the next rollback target); remove this project's others.
    docker image ls "$image" --format '{{.Tag}}' | while read -r old; do
        case "$old" in
            "$tag" | "$previous") ;;
            *) docker image rm "$image:$old" >/dev/null || true ;;
        esac
    done
    docker image prune --force --filter "label=org.opencontainers.image.title=catsdogs" >/dev/null
    exit 0
fi

echo "deploy: $image:$tag did not become healthy; last app logs:" >&2
compose logs --tail=100 app >&2 || true
if [ -z "$previous" ] || [ "$previous" = "$tag" ]; then
    echo "deploy: no previous image to roll back to" >&2
    exit 1
fi
echo "deploy: rolling back to $image:$previous" >&2
# The previous tag is a commit: restore its compose and monitoring files along with its image.
if git cat-file -e "$previous^{commit}" 2>/dev/null; then
    git checkout --quiet --detach "$previous"
fi
set_tag "$previous"
compose up -d --remove-orphans
if healthy; then
    echo "deploy: rolled back to $image:$previous" >&2
else
    echo "deploy: the rollback to $image:$previous is not healthy either" >&2
fi
exit 1
