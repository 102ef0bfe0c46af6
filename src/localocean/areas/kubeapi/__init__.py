"""Kubernetes API server (KWOK-style): the API a kubeconfig of a LocalOcean cluster reaches."""
