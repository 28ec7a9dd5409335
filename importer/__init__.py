"""Import press releases from the web into corpus files."""
