package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks (https://www.standardwebhooks.com) header names.
const (
	HeaderWebhookID        = "Webhook-Id"
	HeaderWebhookTimestamp = "Webhook-Timestamp"
	HeaderWebhookSignature = "Webhook-Signature"
)

// DefaultTolerance is how far a Standard Webhooks timestamp may be from now, in
// either direction, when no tolerance is configured (WEBHOOK_TOLERANCE).
const DefaultTolerance = 5 * time.Minute

// secretPrefix marks a base64-encoded Standard Webhooks secret.
const secretPrefix = "whsec_"

// maxStandardSignatures bounds how many entries of one webhook-signature header
// are tried, so a huge header cannot turn into many HMAC computations.
const maxStandardSignatures = 16

// StandardHeaders are the three headers of a Standard Webhooks request.
type StandardHeaders struct {
	ID        string // webhook-id
	Timestamp string // webhook-timestamp, Unix seconds
	Signature string // webhook-signature, space-separated "v1,<base64>" entries
}

// DecodeSecret returns the HMAC key of a configured secret: a "whsec_" secret
// is the base64 after the prefix; any other secret is its own bytes.
func DecodeSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return []byte(s), nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(rest); err == nil && len(b) > 0 {
			return b, nil
		}
	}
	return nil, fmt.Errorf("secret starts with %s but the rest is not base64", secretPrefix)
}

// SignStandard returns the webhook-signature header value ("v1,<base64>") of
// body sent as message id at ts, under key (a decoded secret; see DecodeSecret).
func SignStandard(key []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(standardMAC(key, id, strconv.FormatInt(ts.Unix(), 10), body))
}

// VerifyStandard checks a Standard Webhooks request: the timestamp must be
// within tolerance of now in both directions, and any one v1 signature in the
// header must be the HMAC-SHA256 of "id.timestamp.body" under any of the
// secrets (raw configured secrets; "whsec_" ones are decoded). Comparison is
// constant time. The error is an ErrInvalidSignature saying why.
func VerifyStandard(h StandardHeaders, body []byte, secrets [][]byte, now time.Time, tolerance time.Duration) error {
	if h.ID == "" || h.Timestamp == "" || h.Signature == "" {
		return signatureError("a Standard Webhooks request needs webhook-id, webhook-timestamp and webhook-signature headers")
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(h.Timestamp), 10, 64)
	if err != nil {
		return signatureError("webhook-timestamp is not whole Unix seconds")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts := time.Unix(sec, 0)
	switch age := now.Sub(ts); {
	case age > tolerance:
		return signatureError(fmt.Sprintf("webhook-timestamp is stale: %s old, more than the tolerance of %s (WEBHOOK_TOLERANCE)",
			age.Truncate(time.Second), tolerance))
	case -age > tolerance:
		return signatureError(fmt.Sprintf("webhook-timestamp is in the future: %s ahead, more than the tolerance of %s (WEBHOOK_TOLERANCE)",
			(-age).Truncate(time.Second), tolerance))
	}
	sigs := ParseStandardSignatures(h.Signature)
	if len(sigs) == 0 {
		return signatureError("webhook-signature has no v1,<base64> entry of 32 bytes")
	}
	if len(secrets) == 0 {
		return signatureError("no secret is configured to verify the signature")
	}
	for _, raw := range secrets {
		key, err := DecodeSecret(string(raw))
		if err != nil {
			continue
		}
		want := standardMAC(key, h.ID, strings.TrimSpace(h.Timestamp), body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return nil
			}
		}
	}
	return signatureError("webhook-signature does not match webhook-id, webhook-timestamp and the body")
}

// ParseStandardSignatures returns the 32-byte MACs of the "v1,<base64>"
// entries of a webhook-signature header; other versions and malformed entries
// are skipped, and at most 16 entries are read.
func ParseStandardSignatures(header string) [][]byte {
	var out [][]byte
	for i, entry := range strings.Fields(header) {
		if i >= maxStandardSignatures {
			break
		}
		b64, ok := strings.CutPrefix(entry, "v1,")
		if !ok {
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(b64); err == nil && len(b) == sha256.Size {
			out = append(out, b)
		}
	}
	return out
}

// standardMAC is HMAC-SHA256(key, id "." timestamp "." body).
func standardMAC(key []byte, id, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}
