{{/* Names and labels, as DIGIT's common chart makes them: the release-independent app name. */}}
{{- define "helpdesk.name" -}}
{{- .Values.labels.app | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "helpdesk.labels" -}}
app: {{ include "helpdesk.name" . }}
group: {{ .Values.labels.group | quote }}
app.kubernetes.io/name: {{ include "helpdesk.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "helpdesk.selector" -}}
app: {{ include "helpdesk.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "helpdesk.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The environment every container of the app gets: the database URL, settings, secrets. */}}
{{- define "helpdesk.env" -}}
{{- with .Values.database }}
{{- if .parts.enabled }}
- name: DB_HOST
  valueFrom: {configMapKeyRef: {name: {{ .parts.configMap.name }}, key: {{ .parts.configMap.hostKey }}}}
- name: DB_NAME
  valueFrom: {configMapKeyRef: {name: {{ .parts.configMap.name }}, key: {{ .parts.configMap.nameKey }}}}
- name: DB_USER
  valueFrom: {secretKeyRef: {name: {{ .parts.secret.name }}, key: {{ .parts.secret.usernameKey }}}}
- name: DB_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ .parts.secret.name }}, key: {{ .parts.secret.passwordKey }}}}
- name: HELPDESK_DATABASE_URL
  value: "postgresql://$(DB_USER):$(DB_PASSWORD)@$(DB_HOST):{{ .parts.port }}/$(DB_NAME)"
{{- else if .urlSecret }}
- name: HELPDESK_DATABASE_URL
  valueFrom: {secretKeyRef: {name: {{ .urlSecret.name }}, key: {{ .urlSecret.key }}}}
{{- end }}
{{- end }}
{{- range $name, $ref := .Values.secrets }}
- name: HELPDESK_{{ $name }}
  valueFrom: {secretKeyRef: {name: {{ $ref.secretName }}, key: {{ $ref.key }}, optional: {{ $ref.optional | default false }}}}
{{- end }}
{{- end -}}
