"""Finding campaigns: search, categories, filters and sort orders, the home page's sections."""
