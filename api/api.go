// Package api holds what the server and its clients share: the one list of
// error codes with their HTTP statuses (codes.go), the error envelope, and the
// JSON views of approvals and deliveries that the HTTP API writes and the CLI
// reads. It imports only the standard library, so any package may use it.
package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Envelope statuses.
const (
	StatusProcessed = "processed"
	StatusError     = "error"
)

// Error is the error object of every error answer. It is also a Go error: a
// handler that returns one (wrapped or not) chooses the code and the message
// the caller sees.
type Error struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Fields  []string `json:"fields,omitempty"`
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error implements error as "code: message (fields: a, b)".
func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if len(e.Fields) > 0 {
		s += " (fields: " + strings.Join(e.Fields, ", ") + ")"
	}
	return s
}

// Envelope is the webhook endpoint's answer, success and error alike; the
// other routes answer errors with the same shape without webhook_id.
type Envelope struct {
	WebhookID string          `json:"webhook_id,omitempty"`
	Status    string          `json:"status"`
	ClientID  string          `json:"client_id,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *Error          `json:"error,omitempty"`
}

// maxFallbackMessage bounds how much of a body without an envelope becomes
// the message of DecodeError.
const maxFallbackMessage = 200

// DecodeError reads an error answer of status with body: the code, message
// and fields of the envelope when the body has one, else the code the table
// gives the status (CodeForStatus) and the start of the body as the message.
func DecodeError(status int, body []byte) *Error {
	var env Envelope
	if json.Unmarshal(body, &env) == nil && env.Error != nil && env.Error.Code != "" {
		return env.Error
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > maxFallbackMessage {
		cut := maxFallbackMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &Error{Code: CodeForStatus(status), Message: msg}
}
