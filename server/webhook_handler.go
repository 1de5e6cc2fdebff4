package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// handleWebhook is POST /api/webhook/{source}/{route}: checks, signature on the
// raw body, then Registry.Call (which records, deduplicates and processes).
func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	webhookID := uuid.NewString()
	start, rec := time.Now(), &statusRecorder{ResponseWriter: w}
	w = rec
	source, routeLabel := "unknown", "unknown" // unregistered paths share one label
	defer func() { s.metrics.webhook(source, routeLabel, rec.status, time.Since(start)) }()
	route, ok := s.route(r.PathValue("source"), r.PathValue("route"))
	if !ok {
		writeError(w, webhookID, codeUnknownRoute, "no webhook route is registered at "+r.URL.Path)
		return
	}
	source, routeLabel = route.Source, route.Name
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, webhookID, codeMethodNotAllowed, "use POST for webhooks")
		return
	}
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	if s.draining.Load() {
		w.Header().Set("Retry-After", "5")
		writeError(w, webhookID, codeShuttingDown, "the server is shutting down; retry shortly")
		return
	}
	if !s.rateLimit(w, r, webhookID, route.Source) {
		s.log.WarnContext(r.Context(), "webhook rate limited", "webhook_id", webhookID, "route", route.ID, "client_ip", s.clientIP(r))
		return
	}
	s.counters.received.Add(1)
	log := s.log.With("webhook_id", webhookID, "route", route.ID)
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.counters.failed.Add(1)
		writeError(w, webhookID, codeUnsupportedMedia, "Content-Type must be application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		s.counters.failed.Add(1)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, webhookID, codeTooLarge, "body is larger than MAX_BODY_BYTES")
			return
		}
		writeError(w, webhookID, webhook.CodeInvalidPayload, "could not read the body")
		return
	}
	if s.credentialsFor(route.Source).Configured() && s.refuseThrottled(w, r, webhookID) {
		s.counters.failed.Add(1)
		return
	}
	scheme, err := s.checkSignature(route.Source, r.Header, body)
	if err != nil {
		s.authFailed(r, "webhook signature or API key")
		s.counters.failed.Add(1)
		log.WarnContext(r.Context(), "webhook rejected", "code", webhook.CodeInvalidSignature, "scheme", scheme, "reason", err.Error())
		s.writeCallError(w, webhookID, err)
		return
	}
	if err := webhook.CheckPayload(body); err != nil {
		s.counters.failed.Add(1)
		s.writeCallError(w, webhookID, err)
		return
	}
	if s.cfg.Debug {
		log.DebugContext(r.Context(), "webhook body", "bytes", len(body), "scheme", scheme, "headers", redactHeaders(r.Header))
	}
	input := make([]byte, 0, len(body)+16)
	input = append(append(append(input, `{"webhook_data":`...), body...), '}')
	out, err := s.registry.Call(r.Context(), tools.Request{
		Action: route.Action, Input: input, RawBody: body,
		Invocation: tools.Invocation{WebhookID: webhookID, Kind: webhook.KindWebhook, Source: route.ID,
			Route: route.Path, Requester: "webhook:" + route.Source},
		IdempotencyKey: idempotencyKey(route, r.Header, body),
		Headers:        redactHeaders(r.Header),
	})
	if out.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if err != nil {
		s.counters.failed.Add(1)
		if s.cfg.Debug {
			log.DebugContext(r.Context(), "webhook response", "webhook_id", out.WebhookID, "code", tools.ErrorCode(err),
				"replayed", out.Replayed)
		}
		s.writeCallError(w, out.WebhookID, err)
		return
	}
	s.counters.processed.Add(1)
	if s.cfg.Debug {
		log.DebugContext(r.Context(), "webhook response", "webhook_id", out.WebhookID, "status", http.StatusOK,
			"replayed", out.Replayed, "result_bytes", len(out.Result))
	}
	writeJSON(w, http.StatusOK, Envelope{WebhookID: out.WebhookID, Status: "processed", ClientID: out.ClientID, Result: out.Result})
}

// writeCallError writes the error envelope of an error from the domain.
func (s *Server) writeCallError(w http.ResponseWriter, webhookID string, err error) {
	status, body := errorBodyOf(err)
	writeJSON(w, status, Envelope{WebhookID: webhookID, Status: "error", Error: &body})
}

// idempotencyKey is the sender's webhook-id or Idempotency-Key header, else the
// SHA-256 of route and raw body.
func idempotencyKey(route Route, h http.Header, body []byte) string {
	for _, name := range []string{"Webhook-Id", "Idempotency-Key"} {
		if v := strings.TrimSpace(h.Get(name)); v != "" {
			return route.ID + ":" + name + ":" + v
		}
	}
	sum := sha256.New()
	sum.Write([]byte(route.ID))
	sum.Write([]byte{0})
	sum.Write(body)
	return route.ID + ":sha256:" + hex.EncodeToString(sum.Sum(nil))
}

// sensitiveHeaders are never recorded or logged in clear.
var sensitiveHeaders = []string{"authorization", "cookie", "set-cookie", "x-api-key", "signature", "token", "secret", "proxy-authorization"}

// redactHeaders flattens headers for the inbox, replacing secrets by "[redacted]".
func redactHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for name, vals := range h {
		v := strings.Join(vals, ", ")
		lower := strings.ToLower(name)
		for _, s := range sensitiveHeaders {
			if strings.Contains(lower, s) {
				v = "[redacted]"
				break
			}
		}
		out[name] = v
	}
	return out
}
