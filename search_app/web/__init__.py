"""The web layer: blueprints for the page, the JSON API and the feed; parameters, errors,
HTTP headers, the OpenAPI document and the ``search-app`` server."""
