package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Signature schemes reported by VerifyHMAC.
const (
	SchemeHMACSHA256Hex    = "hmac-sha256-hex"
	SchemeHMACSHA256Prefix = "hmac-sha256-prefixed"
	SchemeHMACSHA256Base64 = "hmac-sha256-base64"
)

// SignatureHeaders are the request headers that may carry an HMAC-SHA256 of the
// raw body, in the order they are consulted.
var SignatureHeaders = []string{"X-Webhook-Signature", "X-Hub-Signature-256", "X-Signature"}

// SignHMAC returns the lowercase hex HMAC-SHA256 of body under secret.
func SignHMAC(secret, body []byte) string {
	return hex.EncodeToString(macOf(secret, body))
}

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
	return &ValidationError{Code: CodeInvalidSignature, Message: msg, kind: ErrInvalidSignature}
}
