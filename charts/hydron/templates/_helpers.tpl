{{- define "hydron.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hydron.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "hydron.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Rules for Hydron's own resources, events and Secrets: get (keys, tokens) and
create/patch (generated database credentials), never list or watch. */}}
{{/* The web view's pods: not the operator's selector labels, so neither selects the other's pods. */}}
{{- define "hydron.uiSelectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}-ui
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: ui
{{- end -}}

{{- define "hydron.rules" -}}
- apiGroups: [hydron.dev]
  resources: [applications, infraplans, servers, deployments]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [hydron.dev]
  resources: [applications/status, infraplans/status, servers/status, deployments/status]
  verbs: [get, update, patch]
- apiGroups: [hydron.dev]
  resources: [applications/finalizers, infraplans/finalizers, servers/finalizers, deployments/finalizers]
  verbs: [update]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, create, patch]
# spec.dns.externalDNS: the domains' records, for external-dns to publish
- apiGroups: [externaldns.k8s.io]
  resources: [dnsendpoints]
  verbs: [get, create, update, delete]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
{{- end -}}
