"""One Kubernetes API client per process, configured the way kubectl would be."""

from __future__ import annotations

import functools
import os

import kubernetes


@functools.cache
def api_client() -> kubernetes.client.ApiClient:
    """In-cluster config when running in a pod, otherwise KUBECONFIG / ~/.kube/config."""
    try:
        kubernetes.config.load_incluster_config()
    except kubernetes.config.ConfigException:
        # The library reads KUBECONFIG once at import; read it now instead.
        kubernetes.config.load_kube_config(config_file=os.environ.get("KUBECONFIG"))
    return kubernetes.client.ApiClient()


def core_v1() -> kubernetes.client.CoreV1Api:
    return kubernetes.client.CoreV1Api(api_client())


def custom_objects() -> kubernetes.client.CustomObjectsApi:
    return kubernetes.client.CustomObjectsApi(api_client())
