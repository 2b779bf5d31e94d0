"""Graphviz pictures of a procedure and of one case's path."""
