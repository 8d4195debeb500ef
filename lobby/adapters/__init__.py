"""The outside world behind the services: presence stores, the directory, Redis, socket.io's
managers, mail."""
