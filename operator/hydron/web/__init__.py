"""Hydron's web view: `kubectl hydron ui` serves it on the user's machine with the user's
own kubeconfig identity (see hydron.web.app)."""
