package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/webhook-mcp/webhook-mcp/api"
)

// Signature schemes reported by VerifyHMAC and Verify.
const (
	SchemeHMACSHA256Hex    = "hmac-sha256-hex"
	SchemeHMACSHA256Prefix = "hmac-sha256-prefixed"
	SchemeHMACSHA256Base64 = "hmac-sha256-base64"
	SchemeStandard         = "standard-webhooks"
	SchemeAPIKey           = "api-key"
)

// Scheme families a caller may ask Verify to use instead of detecting one.
const (
	SchemeAuto       = "auto"
	SchemeHMACSHA256 = "hmac-sha256"
)

// HeaderAPIKey carries an API key for senders that cannot sign.
const HeaderAPIKey = "X-API-Key"

// Headers is what Verify reads of a request's headers; net/http.Header is one.
type Headers interface {
	Get(name string) string
}

// Credentials are what a source's requests are verified against.
type Credentials struct {
	Secrets   [][]byte      // HMAC and Standard Webhooks secrets, as configured (several: key rotation)
	APIKeys   [][]byte      // accepted API keys (several: key rotation)
	Tolerance time.Duration // Standard Webhooks timestamp tolerance; <= 0: DefaultTolerance
	Now       time.Time     // the time timestamps are checked against
}

// Configured reports whether any credential is set, i.e. whether requests
// must be authenticated at all.
func (c Credentials) Configured() bool { return len(c.Secrets) > 0 || len(c.APIKeys) > 0 }

// Verify authenticates a request by the scheme its headers carry, in this
// order: Standard Webhooks (webhook-signature), an HMAC-SHA256 signature
// header (SignatureHeaders), an API key (X-API-Key or Authorization: Bearer).
// A scheme is only chosen when credentials for it are configured. scheme is
// SchemeAuto (or "") to detect, or SchemeHMACSHA256, SchemeStandard or
// SchemeAPIKey to demand one. It returns the scheme that verified, or an
// ErrInvalidSignature saying why none did.
func Verify(h Headers, body []byte, c Credentials, scheme string) (string, error) {
	std := StandardHeaders{ID: h.Get(HeaderWebhookID), Timestamp: h.Get(HeaderWebhookTimestamp), Signature: h.Get(HeaderWebhookSignature)}
	hmacSig := ""
	for _, name := range SignatureHeaders {
		if v := h.Get(name); v != "" {
			hmacSig = v
			break
		}
	}
	key := APIKeyOf(h)
	switch scheme {
	case SchemeStandard:
		return SchemeStandard, VerifyStandard(std, body, c.Secrets, c.Now, c.Tolerance)
	case SchemeHMACSHA256:
		return VerifyHMAC(body, hmacSig, c.Secrets)
	case SchemeAPIKey:
		return SchemeAPIKey, VerifyAPIKey(key, c.APIKeys)
	case SchemeAuto, "":
	default:
		return "", signatureError("unknown scheme " + scheme + ": want auto, hmac-sha256, standard-webhooks or api-key")
	}
	switch {
	case std.Signature != "" && len(c.Secrets) > 0:
		return SchemeStandard, VerifyStandard(std, body, c.Secrets, c.Now, c.Tolerance)
	case hmacSig != "" && len(c.Secrets) > 0:
		return VerifyHMAC(body, hmacSig, c.Secrets)
	case key != "" && len(c.APIKeys) > 0:
		return SchemeAPIKey, VerifyAPIKey(key, c.APIKeys)
	}
	var want []string
	if len(c.Secrets) > 0 {
		want = append(want, "webhook-signature (Standard Webhooks)", "X-Webhook-Signature (HMAC-SHA256 of the body)")
	}
	if len(c.APIKeys) > 0 {
		want = append(want, "X-API-Key")
	}
	if len(want) == 0 {
		return "", signatureError("no secret or API key is configured to verify the request")
	}
	return "", signatureError("signature is missing: send " + strings.Join(want, " or "))
}

// APIKeyOf returns the request's X-API-Key, else its Authorization bearer token.
func APIKeyOf(h Headers) string {
	if k := strings.TrimSpace(h.Get(HeaderAPIKey)); k != "" {
		return k
	}
	if tok, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(tok)
	}
	return ""
}

// VerifyAPIKey checks key against every accepted key in constant time (the
// comparison is of SHA-256 digests, so it does not leak lengths either).
func VerifyAPIKey(key string, keys [][]byte) error {
	if key == "" {
		return signatureError("API key is missing: send X-API-Key or Authorization: Bearer")
	}
	if len(keys) == 0 {
		return signatureError("no API key is configured for this source")
	}
	got := sha256.Sum256([]byte(key))
	match := 0
	for _, k := range keys {
		want := sha256.Sum256(k)
		match |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	if match != 1 {
		return signatureError("API key does not match")
	}
	return nil
}

// SignatureHeaders are the request headers that may carry an HMAC-SHA256 of the
// raw body, in the order they are consulted.
var SignatureHeaders = []string{"X-Webhook-Signature", "X-Hub-Signature-256", "X-Signature"}

// VerifyHMAC checks that signature is an HMAC-SHA256 of body under any of the
// secrets (several secrets allow key rotation). The signature may be
// "sha256=<hex>", bare hex, or standard or URL-safe base64. Comparison is
// constant time. It returns the scheme that matched or an ErrInvalidSignature
// whose message says why.
func VerifyHMAC(body []byte, signature string, secrets [][]byte) (string, error) {
	sig, scheme, err := parseHMACSignature(signature)
	if err != nil {
		return "", err
	}
	if len(secrets) == 0 {
		return "", signatureError("no secret is configured to verify the signature")
	}
	for _, secret := range secrets {
		if hmac.Equal(sig, macOf(secret, body)) {
			return scheme, nil
		}
	}
	return "", signatureError("signature does not match the body")
}

// parseHMACSignature decodes the 32 MAC bytes from one of the accepted forms.
func parseHMACSignature(signature string) ([]byte, string, error) {
	s := strings.TrimSpace(signature)
	if s == "" {
		return nil, "", signatureError("signature is missing")
	}
	scheme := SchemeHMACSHA256Hex
	if rest, ok := strings.CutPrefix(s, "sha256="); ok {
		s, scheme = rest, SchemeHMACSHA256Prefix
	}
	if len(s) == hex.EncodedLen(sha256.Size) {
		if b, err := hex.DecodeString(s); err == nil {
			return b, scheme, nil
		}
	}
	if scheme == SchemeHMACSHA256Hex {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil && len(b) == sha256.Size {
				return b, SchemeHMACSHA256Base64, nil
			}
		}
	}
	return nil, "", signatureError("signature is not sha256=<hex>, 64 hex digits or base64 of 32 bytes")
}

func macOf(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

func signatureError(msg string) error {
	return &ValidationError{Code: api.CodeInvalidSignature, Message: msg, kind: ErrInvalidSignature}
}
