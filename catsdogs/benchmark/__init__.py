"""Speed and memory benchmark (`make bench`); offline tooling, never imported by the app."""
