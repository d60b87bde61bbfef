#!/bin/sh
# Alertmanager 0.26+ (the stack's image) reads Discord's webhook_url_file itself; bookworm's 0.25
# does not, so this stand-in inlines the secret file's URL into a private copy of the config.
set -eu
args=""
for arg in "$@"; do
    case "$arg" in
        --config.file=*)
            config="${arg#--config.file=}"
            copy="$(mktemp /tmp/alertmanager.XXXXXX.yml)"
            awk '
                /webhook_url_file:/ {
                    file = $2; getline url < file; close(file)
                    sub(/webhook_url_file:.*/, "webhook_url: \"" url "\"")
                }
                { print }
            ' "$config" >"$copy"
            arg="--config.file=$copy"
            ;;
    esac
    args="$args '$arg'"
done
eval "exec prometheus-alertmanager $args"
