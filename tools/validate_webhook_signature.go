package tools

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ValidateSignatureInput is the input of validate_webhook_signature.
type ValidateSignatureInput struct {
	WebhookData json.RawMessage `json:"webhook_data"`
	Signature   string          `json:"signature" jsonschema:"the signature header value: sha256=<hex>, 64 hex digits, or base64"`
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
		Description: "Check an HMAC-SHA256 webhook signature over the exact payload bytes, in constant time. " +
			"Pass webhook_data as the raw body string for an exact check; an object is re-encoded as compact JSON. " +
			"Accepts sha256=<hex>, bare hex and base64 signatures. Without secret_key the secret registered for the " +
			"source is used. Returns {valid, scheme, reason}; an invalid signature is a normal result, not an error.",
		Annotations: Annotations{ReadOnly: true, Destructive: false, Idempotent: true, OpenWorld: false},
		InputOverrides: map[string]map[string]any{"webhook_data": {
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
				return ValidateSignatureOutput{Scheme: "hmac-sha256", Reason: "no secret_key given and no secret is registered for source " + source}, nil
			}
		}
		scheme, err := webhook.VerifyHMAC(body, in.Signature, secrets)
		if err != nil {
			return ValidateSignatureOutput{Scheme: "hmac-sha256", Reason: err.Error()}, nil
		}
		return ValidateSignatureOutput{Valid: true, Scheme: scheme, Reason: "signature matches"}, nil
	})
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
