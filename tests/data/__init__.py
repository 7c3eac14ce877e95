"""Test data: the pages, old databases and the script that made them."""
