"""Tests for the share-graphics renderer."""
