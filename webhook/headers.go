package webhook

import (
	"net/http"
	"strings"
)

// Redacted replaces the value of every header that is not known to be harmless.
const Redacted = "[redacted]"

// harmlessHeaders are the request headers whose values are recorded in the
// inbox and the debug log as they came. The list is an allowlist on purpose:
// senders invent secret-bearing names faster than a denylist can follow
// (Api-Key, X-Auth, X-Password, X-Access-Key, Private-Token, X-Hub-Signature-256
// …), so any header not named here keeps its name and loses its value.
var harmlessHeaders = map[string]bool{
	"Accept":            true,
	"Accept-Encoding":   true,
	"Accept-Language":   true,
	"Cache-Control":     true,
	"Connection":        true,
	"Content-Encoding":  true,
	"Content-Length":    true,
	"Content-Type":      true,
	"Idempotency-Key":   true,
	"Traceparent":       true,
	"User-Agent":        true,
	"Webhook-Id":        true,
	"Webhook-Timestamp": true,
	"X-Correlation-Id":  true,
	"X-Forwarded-For":   true,
	"X-Forwarded-Host":  true,
	"X-Forwarded-Proto": true,
	"X-Real-Ip":         true,
	"X-Request-Id":      true,
	"X-Response-Type":   true,
}

// HarmlessHeader reports whether the value of the named header may be recorded
// in clear.
func HarmlessHeader(name string) bool { return harmlessHeaders[http.CanonicalHeaderKey(name)] }

// RedactHeaders flattens h for the inbox and the logs: one entry per header
// name, several values joined by ", ", and every value of a header that is not
// on the allowlist replaced by Redacted.
func RedactHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for name, vals := range h {
		if HarmlessHeader(name) {
			out[name] = strings.Join(vals, ", ")
		} else {
			out[name] = Redacted
		}
	}
	return out
}
