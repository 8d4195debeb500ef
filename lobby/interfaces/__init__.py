"""How the world reaches the services: HTTP pages and API, the realtime namespaces, the CLI."""
