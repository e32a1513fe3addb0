"""Resource namespaces, each written once for both clients."""
