"""Generate CustomResourceDefinitions from the resource models.

pydantic's JSON Schema is close to what Kubernetes wants, but a structural schema
may not use `$ref`, `anyOf` with null, `const` or `title`; this module rewrites
those and adds the CRD envelope (names, printer columns, status subresource).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pydantic import BaseModel

from hydron.api import GROUP, RESOURCES, VERSION

DROPPED_KEYS = {"title", "$defs"}
CATEGORY = "hydron"


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Inline refs and rewrite one schema node (recursively) into structural form."""
    if "$ref" in schema:
        target = defs[schema["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return _resolve(merged, defs)

    if "anyOf" in schema:
        variants = [v for v in schema["anyOf"] if v.get("type") != "null"]
        if len(variants) != 1:
            raise ValueError(f"unions other than Optional[X] cannot be expressed structurally: {schema}")
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        if rest.get("default", ...) is None:
            del rest["default"]
        # The field's own description wins over the model's docstring.
        return _resolve({**variants[0], **rest}, defs)

    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in DROPPED_KEYS or (key == "additionalProperties" and value is False):
            # Unknown fields are pruned by the API server (and flagged by kubectl's
            # field validation); a structural schema may not say `false` here.
            continue
        if key == "const":
            out["enum"] = [value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            # JSON Schema 2020 gives the bound; OpenAPI v3 wants the bound plus a flag.
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key == "properties":
            out["properties"] = {name: _resolve(prop, defs) for name, prop in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _resolve(value, defs)
        else:
            out[key] = value
    if "properties" in out:
        out.setdefault("type", "object")
    if "enum" in out and "type" not in out:
        out["type"] = "string"
    return out


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The structural OpenAPI v3 schema of a model."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return _resolve(raw, raw.get("$defs", {}))


def _without_rules(schema: Any) -> Any:
    """The schema without CEL rules: status is written by Hydron alone and checked by
    the models, so rules there would only spend the API server's CEL cost budget."""
    if isinstance(schema, dict):
        return {k: _without_rules(v) for k, v in schema.items() if k != "x-kubernetes-validations"}
    if isinstance(schema, list):
        return [_without_rules(v) for v in schema]
    return schema


def crd_for(resource: type[BaseModel]) -> dict[str, Any]:
    """The CustomResourceDefinition of one top-level resource model."""
    fields = resource.model_fields
    spec = model_schema(fields["spec"].annotation)  # type: ignore[arg-type]
    spec["description"] = fields["spec"].description
    status = _without_rules(model_schema(resource.model_fields["status"].annotation.__args__[0]))  # type: ignore[union-attr]
    status["description"] = fields["status"].description
    kind = resource.kind
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{resource.plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": resource.plural,
                "singular": kind.lower(),
                "shortNames": resource.short_names,
                "categories": [CATEGORY],
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": resource.printer_columns,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": (resource.__doc__ or "").strip(),
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string", "description": "hydron.dev/v1alpha1"},
                                "kind": {"type": "string", "description": f"{kind}"},
                                "metadata": {"type": "object"},
                                "spec": spec,
                                "status": status,
                            },
                        }
                    },
                }
            ],
        },
    }


def all_crds() -> dict[str, dict[str, Any]]:
    """File name → CRD, for every resource."""
    return {f"{GROUP}_{r.plural}.yaml": crd_for(r) for r in RESOURCES}


class _NoAliasDumper(yaml.SafeDumper):
    """Shared sub-schemas must be written out in full: CRDs cannot use YAML anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


HEADER = "# Generated by `hydron crds` from operator/hydron/api; do not edit by hand.\n"


def render(crd: dict[str, Any]) -> str:
    """A CRD as the YAML text written to crds/."""
    return HEADER + yaml.dump(crd, Dumper=_NoAliasDumper, sort_keys=False, width=100)


def write_crds(directory: Path) -> list[Path]:
    """Write every CRD into `directory`; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, crd in all_crds().items():
        path = directory / name
        path.write_text(render(crd))
        written.append(path)
    return written
