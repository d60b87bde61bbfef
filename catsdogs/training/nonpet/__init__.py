"""Non-pet images from Debian and PyPI packages, for the "not a cat or a dog" detector."""
