"""HTTP: thin FastAPI routers that parse, call the domain and render."""
