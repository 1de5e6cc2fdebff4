package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ValidateSignatureInput is the input of validate_webhook_signature.
type ValidateSignatureInput struct {
	WebhookData json.RawMessage `json:"webhook_data"`
	Signature   string          `json:"signature" jsonschema:"the signature header value (see the input schema)"`
	Scheme      string          `json:"scheme,omitempty" jsonschema:"signature scheme (see the input schema)"`
	WebhookID   string          `json:"webhook_id,omitempty" jsonschema:"Standard Webhooks: the webhook-id header"`
	Timestamp   string          `json:"webhook_timestamp,omitempty" jsonschema:"Standard Webhooks: the webhook-timestamp header (Unix seconds); it must be within WEBHOOK_TOLERANCE of now"`
	SecretKey   string          `json:"secret_key,omitempty" jsonschema:"secret to check against; omit it to use the secret registered on the server for source, so the secret never passes through the conversation"`
	ClientID    string          `json:"client_id,omitempty" jsonschema:"client the payload belongs to (recorded with the check)"`
	Source      string          `json:"source,omitempty" jsonschema:"webhook source whose registered secret to use when secret_key is omitted (default make.com)"`
}

// ValidateSignatureOutput is the result of validate_webhook_signature.
type ValidateSignatureOutput struct {
	Valid  bool   `json:"valid"`
	Scheme string `json:"scheme" jsonschema:"signature form that matched, or the form that was checked"`
	Reason string `json:"reason" jsonschema:"why the signature is invalid, or 'signature matches'"`
}

func validateWebhookSignature(d Deps) Action {
	return Define(Spec{
		Name:  "validate_webhook_signature",
		Title: "Validate webhook signature",
		Description: "Check a webhook signature over the exact payload bytes, in constant time. " +
			"Pass webhook_data as the raw body string for an exact check; an object is re-encoded as compact JSON. " +
			"Schemes: hmac-sha256 (sha256=<hex>, bare hex or base64 of the body's HMAC) and standard-webhooks " +
			"(webhook_id, webhook_timestamp and a v1,<base64> signature over id.timestamp.body, whsec_ secrets); " +
			"scheme auto picks standard-webhooks when webhook_id or webhook_timestamp is given. Without " +
			"secret_key the secrets registered for the source are used (several: key rotation). " +
			"Returns {valid, scheme, reason}; an invalid signature is a normal result, not an error.",
		Annotations: ReadOnlyLocal(),
		InputOverrides: map[string]map[string]any{"signature": {
			"type": "string",
			"description": "the signature header value: sha256=<hex>, 64 hex digits or base64 (HMAC-SHA256); or the " +
				"webhook-signature header, space-separated v1,<base64> entries (Standard Webhooks)",
		}, "scheme": {
			"type": "string", "enum": []string{webhook.SchemeAuto, webhook.SchemeHMACSHA256, webhook.SchemeStandard},
			"description": "signature scheme; auto (the default) is standard-webhooks when webhook_id or " +
				"webhook_timestamp is given, else hmac-sha256",
		}, "webhook_data": {
			"type": []string{"string", "object"},
			"description": "the payload that was signed: a string is used byte for byte (pass the raw body as a " +
				"string for an exact check); an object is re-encoded as compact JSON keeping its key order",
		}},
	}, func(_ context.Context, _ Invocation, in ValidateSignatureInput) (ValidateSignatureOutput, error) {
		body, err := signedBytes(in.WebhookData)
		if err != nil {
			return ValidateSignatureOutput{}, err
		}
		if in.Signature == "" {
			return ValidateSignatureOutput{}, webhook.MissingFields("signature")
		}
		switch in.Scheme {
		case "", webhook.SchemeAuto, webhook.SchemeHMACSHA256, webhook.SchemeStandard:
		default:
			return ValidateSignatureOutput{}, webhook.InvalidArgument("scheme", "scheme %q: want auto, hmac-sha256 or standard-webhooks", in.Scheme)
		}
		var secrets [][]byte
		if in.SecretKey != "" {
			secrets = [][]byte{[]byte(in.SecretKey)}
		} else {
			source := in.Source
			if source == "" {
				source = d.DefaultSource
			}
			if d.Secrets != nil {
				secrets = d.Secrets(source)
			}
			if len(secrets) == 0 {
				scheme, _ := signatureRequest(in)
				return ValidateSignatureOutput{Scheme: scheme, Reason: "no secret_key given and no secret is registered for source " + source}, nil
			}
		}
		scheme, h := signatureRequest(in)
		creds := webhook.Credentials{Secrets: secrets, Tolerance: d.SignatureTolerance, Now: d.Now()}
		matched, err := webhook.Verify(h, body, creds, scheme)
		if err != nil {
			return ValidateSignatureOutput{Scheme: scheme, Reason: err.Error()}, nil
		}
		return ValidateSignatureOutput{Valid: true, Scheme: matched, Reason: "signature matches"}, nil
	})
}

// signatureRequest resolves the scheme (auto: standard-webhooks when the
// Standard Webhooks headers are given) and the headers it reads.
func signatureRequest(in ValidateSignatureInput) (string, http.Header) {
	scheme := in.Scheme
	if scheme == "" || scheme == webhook.SchemeAuto {
		scheme = webhook.SchemeHMACSHA256
		if in.WebhookID != "" || in.Timestamp != "" {
			scheme = webhook.SchemeStandard
		}
	}
	h := http.Header{}
	if scheme == webhook.SchemeStandard {
		h.Set(webhook.HeaderWebhookID, in.WebhookID)
		h.Set(webhook.HeaderWebhookTimestamp, in.Timestamp)
		h.Set(webhook.HeaderWebhookSignature, in.Signature)
	} else {
		h.Set(webhook.SignatureHeaders[0], in.Signature)
	}
	return scheme, h
}

// signedBytes returns the bytes a signature covers: a string as is, anything
// else as compact JSON.
func signedBytes(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, webhook.MissingFields("webhook_data")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []byte(s), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, webhook.InvalidPayload("webhook_data is not valid JSON: %v", err)
	}
	return buf.Bytes(), nil
}
