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

{{/* The service account Stanch acts as. */}}
{{- define "stanch.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "stanch.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false: the chart binds that account to its ClusterRole" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Where the playbooks ConfigMap is mounted: stanch.playbooks.dir. */}}
{{- define "stanch.playbooksDir" -}}
/etc/stanch/playbooks
{{- end -}}

{{/*
The playbooks ConfigMap's data: .Values.playbooks when given, else the playbooks shipped in the
chart (playbooks/*.yaml, copies of the repository's, kept equal by a test).
*/}}
{{- define "stanch.playbooksData" -}}
{{- if .Values.playbooks -}}
{{- toYaml .Values.playbooks -}}
{{- else -}}
{{- (.Files.Glob "playbooks/*.yaml").AsConfig -}}
{{- end -}}
{{- end -}}

{{/*
The service's application.yaml: everything it reads that is not a secret. Spring Boot loads it
from /config (SPRING_CONFIG_ADDITIONAL_LOCATION); environment variables win over it. Map keys that
hold dots or slashes are bracketed, or Spring would split them.
*/}}
{{- define "stanch.applicationConfig" -}}
{{- $guardrails := .Values.guardrails -}}
{{- $stanch := dict
  "playbooks" (dict "reload-interval" .Values.playbookReloadInterval)
  "guardrails" (dict
    "protected-namespaces" $guardrails.protectedNamespaces
    "own-pod-labels" (dict "[app.kubernetes.io/name]" "stanch")
    "actions-per-minute" $guardrails.actionsPerMinute
    "actions-per-minute-per-namespace" $guardrails.actionsPerMinutePerNamespace
    "max-active-actions" $guardrails.maxActiveActions
    "max-quarantine-share" $guardrails.maxQuarantineShare
    "dry-run" $guardrails.dryRun)
  "runner" (dict
    "enabled" .Values.runner.enabled
    "interval" .Values.runner.interval
    "lease" .Values.runner.lease
    "batch" .Values.runner.batch
    "workers" .Values.runner.workers)
  "ledger" (dict "migrate" .Values.database.migrate)
  "security" (dict "jwt" (dict
    "roles-claim" .Values.auth.oidc.rolesClaim
    "principal-claim" .Values.auth.oidc.principalClaim))
  "kafka" (dict
    "detections-topic" .Values.kafka.topics.detections
    "actions-topic" .Values.kafka.topics.actions
    "dead-letter-topic" .Values.kafka.topics.deadLetter)
-}}
{{- $spring := dict -}}
{{- with .Values.auth.oidc.issuerUri -}}
{{- $_ := set $spring "security" (dict "oauth2" (dict "resourceserver" (dict "jwt" (dict "issuer-uri" .)))) -}}
{{- end -}}
{{- with .Values.kafka.bootstrapServers -}}
{{- $_ := set $spring "kafka" (dict "bootstrap-servers" .) -}}
{{- end -}}
{{- $config := dict
  "server" (dict "port" 8080)
  "spring" $spring
  "stanch" $stanch
-}}
{{- if .Values.metrics.serviceMonitor.enabled -}}
{{- $_ := set $config "management" (dict "endpoints" (dict "web" (dict "exposure" (dict "include" "health,info,prometheus")))) -}}
{{- end -}}
{{- toYaml (mergeOverwrite $config (deepCopy .Values.extraConfig)) -}}
{{- end -}}

{{/*
One egress rule: TCP on the given ports, to the given peers (none: anywhere).
*/}}
{{- define "stanch.egressRule" -}}
- ports:
  {{- range .ports }}
    - protocol: TCP
      port: {{ . }}
  {{- end }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
