"""Serving: the classifier, which registry versions serve and shadow, and the inference protocol."""
