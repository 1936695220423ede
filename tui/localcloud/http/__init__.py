"""The HTTP face of the local control plane: the app factory, v1/v2 routes, websockets, views."""
