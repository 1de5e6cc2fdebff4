package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// drainGate says whether the server is draining for shutdown and counts the
// webhooks being handled, which the shutdown waits for.
type drainGate struct {
	draining atomic.Bool
	inflight atomic.Int64
}

// webhookEndpoint serves POST /api/webhook/{source}/{route}: checks, the
// signature on the raw body, then Registry.Call (which deduplicates, processes
// and records). routes.go builds it from what it needs; nothing else of the
// server is reachable from it.
type webhookEndpoint struct {
	cfg      Config // MAX_BODY_BYTES, DEBUG and the idempotency windows
	sources  *sources
	guard    *guard
	calls    *tools.Registry
	metrics  *Metrics
	counters *counters
	drain    *drainGate
	log      *slog.Logger
}

// ServeHTTP handles one webhook.
func (s *webhookEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	webhookID := uuid.NewString()
	start, rec := time.Now(), &statusRecorder{ResponseWriter: w}
	w = rec
	source, routeLabel := "unknown", "unknown" // unregistered paths share one label
	defer func() { s.metrics.webhook(source, routeLabel, rec.status, time.Since(start)) }()
	route, ok := s.sources.route(r.PathValue("source"), r.PathValue("route"))
	if !ok {
		writeError(w, webhookID, api.CodeUnknownRoute, "no webhook route is registered at "+r.URL.Path)
		return
	}
	source, routeLabel = route.Source, route.Name
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, webhookID, api.CodeMethodNotAllowed, "use POST for webhooks")
		return
	}
	s.drain.inflight.Add(1)
	defer s.drain.inflight.Add(-1)
	if s.drain.draining.Load() {
		w.Header().Set("Retry-After", "5")
		writeError(w, webhookID, api.CodeShuttingDown, "the server is shutting down; retry shortly")
		return
	}
	if !s.guard.rateLimit(w, r, webhookID, route.Source) {
		s.log.WarnContext(r.Context(), "webhook rate limited", "webhook_id", webhookID, "route", route.ID, "client_ip", s.guard.clientIP(r))
		return
	}
	s.counters.received.Add(1)
	log := s.log.With("webhook_id", webhookID, "route", route.ID)
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.counters.failed.Add(1)
		writeError(w, webhookID, api.CodeUnsupportedMedia, "Content-Type must be application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		s.counters.failed.Add(1)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, webhookID, api.CodePayloadTooLarge, "body is larger than MAX_BODY_BYTES")
			return
		}
		writeError(w, webhookID, api.CodeInvalidPayload, "could not read the body")
		return
	}
	if s.sources.credentialsFor(route.Source).Configured() && s.guard.refuseThrottled(w, r, webhookID) {
		s.counters.failed.Add(1)
		return
	}
	scheme, err := s.sources.checkSignature(route.Source, r.Header, body)
	if err != nil {
		s.guard.authFailed(r, "webhook signature or API key")
		s.counters.failed.Add(1)
		log.WarnContext(r.Context(), "webhook rejected", "code", api.CodeInvalidSignature, "scheme", scheme, "reason", err.Error())
		writeCallError(w, webhookID, err)
		return
	}
	data, err := webhook.DecodePayload(body) // the one parse of the body
	if err != nil {
		s.counters.failed.Add(1)
		writeCallError(w, webhookID, err)
		return
	}
	headers := webhook.RedactHeaders(r.Header)
	if s.cfg.Debug {
		log.DebugContext(r.Context(), "webhook body", "bytes", len(body), "scheme", scheme, "headers", headers)
	}
	key, window := s.idempotencyKey(route, r.Header, body)
	clientID, _ := webhook.ClientIDOf("", data) // exact text; the action reports a bad one
	out, err := s.calls.Call(r.Context(), tools.Request{
		Action: route.Action, RawBody: body, ClientID: clientID,
		Invocation: tools.Invocation{CallID: webhookID, Kind: webhook.KindWebhook, Source: route.ID,
			Route: route.Path, Requester: "webhook:" + route.Source, Payload: data},
		IdempotencyKey: key, KeyWindow: window, Headers: headers,
	})
	if out.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if err != nil {
		s.counters.failed.Add(1)
		if s.cfg.Debug {
			log.DebugContext(r.Context(), "webhook response", "webhook_id", out.CallID, "code", tools.ErrorCode(err),
				"replayed", out.Replayed)
		}
		writeCallError(w, out.CallID, err)
		return
	}
	s.counters.processed.Add(1)
	if s.cfg.Debug {
		log.DebugContext(r.Context(), "webhook response", "webhook_id", out.CallID, "status", http.StatusOK,
			"replayed", out.Replayed, "result_bytes", len(out.Result))
	}
	writeProcessed(w, out)
}

// writeCallError writes the error envelope of an error from the domain.
func writeCallError(w http.ResponseWriter, webhookID string, err error) {
	status, body := errorBodyOf(err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, api.Envelope{WebhookID: webhookID, Status: api.StatusError, Error: &body})
}

// idempotencyKey names a webhook for repeats, and says how long a repeat is
// recognised: the sender's webhook-id (Standard Webhooks: signed, so kept at
// least WEBHOOK_TOLERANCE, as long as a replayed signature could still verify)
// or Idempotency-Key for IDEMPOTENCY_WINDOW; else the SHA-256 of route and body
// for IDEMPOTENCY_BODY_WINDOW.
func (s *webhookEndpoint) idempotencyKey(route Route, h http.Header, body []byte) (string, time.Duration) {
	if v := strings.TrimSpace(h.Get("Webhook-Id")); v != "" {
		return route.ID + ":Webhook-Id:" + v, max(s.cfg.IdempotencyWindow, s.cfg.WebhookTolerance)
	}
	if v := strings.TrimSpace(h.Get("Idempotency-Key")); v != "" {
		return route.ID + ":Idempotency-Key:" + v, s.cfg.IdempotencyWindow
	}
	sum := sha256.New()
	sum.Write([]byte(route.ID))
	sum.Write([]byte{0})
	sum.Write(body)
	return route.ID + ":sha256:" + hex.EncodeToString(sum.Sum(nil)), s.cfg.IdempotencyBodyWindow
}

// writeProcessed writes the 200 envelope. The result is already compact JSON
// (the action's encoding, or the stored copy a replay returns), so it is
// written as it is rather than re-validated by encoding/json.
func writeProcessed(w http.ResponseWriter, out tools.Outcome) {
	b := make([]byte, 0, len(out.Result)+160)
	b = append(b, `{"webhook_id":`...)
	b = appendJSONString(b, out.CallID)
	b = append(b, `,"status":"processed"`...)
	if out.ClientID != "" {
		b = append(b, `,"client_id":`...)
		b = appendJSONString(b, out.ClientID)
	}
	if len(out.Result) > 0 {
		b = append(append(b, `,"result":`...), out.Result...)
	}
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}
