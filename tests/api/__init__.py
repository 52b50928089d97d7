"""Tests of the HTTP service and the station page, through a real server."""
