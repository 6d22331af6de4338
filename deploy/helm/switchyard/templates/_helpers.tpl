{{- define "switchyard.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "switchyard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "switchyard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "switchyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "switchyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "switchyard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.redisName" -}}
{{- printf "%s-redis" (include "switchyard.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The RouterConfig as rendered: values.config, with redis.url pointing at the in-chart Redis when that is on and the config names no Redis. */}}
{{- define "switchyard.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- if and .Values.redis.enabled (not (hasKey $config "redis")) -}}
{{- $_ := set $config "redis" (dict "url" (printf "redis://%s:6379" (include "switchyard.redisName" .))) -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/* shutdown_grace_ms from the config (gateway default 10000), in whole seconds rounded up. */}}
{{- define "switchyard.shutdownGraceSeconds" -}}
{{- $server := default dict .Values.config.server_settings -}}
{{- $ms := int (default 10000 $server.shutdown_grace_ms) -}}
{{- div (add $ms 999) 1000 -}}
{{- end -}}
