"""`make bench` and `make soak`: offline tools, kept out of the wheel and the image."""
