"""One module per kind: plain async reconcile functions, callable from tests.

They take parsed models and return the status to write; `hydron.main` wires them
to kopf. Nothing here imports kopf.
"""
