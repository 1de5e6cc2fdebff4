package webhook

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// The Standard Webhooks specification's own example, checked independently
// with Python's hmac module: secret, message id, timestamp, body, signature.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignStandardMatchesSpecification(t *testing.T) {
	t.Parallel()
	key, err := DecodeSecret(specSecret)
	require.NoError(t, err)
	assert.Equal(t, specSignature, SignStandard(key, specID, time.Unix(specTimestamp, 0), []byte(specBody)))

	h := StandardHeaders{ID: specID, Timestamp: strconv.Itoa(specTimestamp), Signature: "v1a,xxx " + specSignature}
	assert.NoError(t, VerifyStandard(h, []byte(specBody), [][]byte{[]byte(specSecret)}, time.Unix(specTimestamp+10, 0), 0))
}

func TestDecodeSecret(t *testing.T) {
	t.Parallel()
	b, err := DecodeSecret("plain")
	require.NoError(t, err)
	assert.Equal(t, []byte("plain"), b)
	b, err = DecodeSecret("whsec_" + base64.StdEncoding.EncodeToString([]byte("k3y")))
	require.NoError(t, err)
	assert.Equal(t, []byte("k3y"), b)
	_, err = DecodeSecret("whsec_!!!")
	assert.Error(t, err)
}

// TestVerifySchemes covers every scheme: valid, tampered body, wrong secret,
// stale and future timestamps, rotated secret, missing header.
func TestVerifySchemes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"client_id":"c1","task":{"id":"t1"}}`)
	oldSecret, newSecret := "old-secret", "whsec_"+base64.StdEncoding.EncodeToString([]byte("new-secret-bytes"))
	creds := Credentials{Secrets: [][]byte{[]byte(oldSecret), []byte(newSecret)}, APIKeys: [][]byte{[]byte("key-1"), []byte("key-2")}, Now: now}
	newKey, err := DecodeSecret(newSecret)
	require.NoError(t, err)
	std := func(key []byte, ts time.Time, b []byte) http.Header {
		h := http.Header{}
		h.Set(HeaderWebhookID, "msg_1")
		h.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
		h.Set(HeaderWebhookSignature, SignStandard(key, "msg_1", ts, b))
		return h
	}
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	cases := []struct {
		name   string
		h      http.Header
		body   []byte
		scheme string // want on success
		reason string // substring of the error; "" means valid
	}{
		{"hmac valid", hdr("X-Webhook-Signature", "sha256="+testkit.SignHMAC([]byte(oldSecret), body)), body, SchemeHMACSHA256Prefix, ""},
		{"hmac rotated secret", hdr("X-Hub-Signature-256", "sha256="+testkit.SignHMAC([]byte(newSecret), body)), body, SchemeHMACSHA256Prefix, ""},
		{"hmac tampered body", hdr("X-Webhook-Signature", testkit.SignHMAC([]byte(oldSecret), body)), append([]byte(" "), body...), "", "does not match"},
		{"hmac wrong secret", hdr("X-Signature", testkit.SignHMAC([]byte("nope"), body)), body, "", "does not match"},
		{"standard valid", std(newKey, now, body), body, SchemeStandard, ""},
		{"standard rotated raw secret", std([]byte(oldSecret), now.Add(-time.Minute), body), body, SchemeStandard, ""},
		{"standard tampered body", std(newKey, now, body), []byte(`{"client_id":"c2"}`), "", "does not match"},
		{"standard wrong secret", std([]byte("nope"), now, body), body, "", "does not match"},
		{"standard stale", std(newKey, now.Add(-6*time.Minute), body), body, "", "stale"},
		{"standard future", std(newKey, now.Add(6*time.Minute), body), body, "", "in the future"},
		{"standard missing id", func() http.Header { h := std(newKey, now, body); h.Del(HeaderWebhookID); return h }(), body, "", "needs webhook-id"},
		{"standard bad timestamp", func() http.Header { h := std(newKey, now, body); h.Set(HeaderWebhookTimestamp, "soon"); return h }(), body, "", "Unix seconds"},
		{"api key header", hdr(HeaderAPIKey, "key-1"), body, SchemeAPIKey, ""},
		{"api key bearer rotated", hdr("Authorization", "Bearer key-2"), body, SchemeAPIKey, ""},
		{"api key wrong", hdr(HeaderAPIKey, "key-3"), body, "", "does not match"},
		{"missing header", http.Header{}, body, "", "signature is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			scheme, err := Verify(tc.h, tc.body, creds, SchemeAuto)
			if tc.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.scheme, scheme)
				return
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrInvalidSignature))
			assert.Contains(t, err.Error(), tc.reason)
		})
	}
}

func TestVerifyExplicitScheme(t *testing.T) {
	t.Parallel()
	now := time.Unix(specTimestamp, 0)
	h := http.Header{}
	h.Set(HeaderWebhookID, specID)
	h.Set(HeaderWebhookTimestamp, strconv.Itoa(specTimestamp))
	h.Set(HeaderWebhookSignature, specSignature)
	creds := Credentials{Secrets: [][]byte{[]byte(specSecret)}, Now: now}
	scheme, err := Verify(h, []byte(specBody), creds, SchemeStandard)
	require.NoError(t, err)
	assert.Equal(t, SchemeStandard, scheme)
	_, err = Verify(h, []byte(specBody), creds, SchemeHMACSHA256)
	assert.ErrorContains(t, err, "signature is missing")
	_, err = Verify(h, []byte(specBody), creds, "rot13")
	assert.ErrorContains(t, err, "unknown scheme")
	_, err = Verify(h, []byte(specBody), Credentials{Now: now}, SchemeAuto)
	assert.ErrorContains(t, err, "no secret or API key")
}

func TestParseStandardSignaturesBounded(t *testing.T) {
	t.Parallel()
	many := strings.Repeat(specSignature+" ", 100)
	assert.Len(t, ParseStandardSignatures(many), maxStandardSignatures)
	assert.Empty(t, ParseStandardSignatures("v2,abc v1,notbase64 v1,"+base64.StdEncoding.EncodeToString([]byte("short"))))
}
