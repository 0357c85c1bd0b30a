{{/*
The name of the chart's objects: fullnameOverride, else "<release>-stanch" (the release name alone
when it already says stanch). At most 63 characters, a DNS label.
*/}}
{{- define "stanch.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains "stanch" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-stanch" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
What selects the pods. app.kubernetes.io/name is always "stanch": the guardrails recognise Stanch's
own pods by it (stanch.guardrails.own-pod-labels), whatever the release is called.
*/}}
{{- define "stanch.selectorLabels" -}}
app.kubernetes.io/name: stanch
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end -}}

{{/* The labels of every object of the chart. */}}
{{- define "stanch.labels" -}}
{{ include "stanch.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: responder
app.kubernetes.io/part-of: stanch
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}
