package webhook

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// FuzzDecodePayload feeds arbitrary bytes to DecodePayload: it must not panic,
// must fail only with ErrInvalidPayload, and whatever it accepts must be a JSON
// object that encoding/json accepts too and that stays within the shape limits.
func FuzzDecodePayload(f *testing.F) {
	f.Add(testkit.Fixture(f, "seed_example.json"))
	f.Add(testkit.Fixture(f, "clickup_task_full.json"))
	for _, p := range testkit.Payloads {
		f.Add([]byte(p))
	}
	for _, s := range []string{"", " ", "{", `{"a":"\xff"}`, `{"a":[[[[[]]]]]}`, `{"a":"\"[,"}`, `[1]`, `{"a":1}garbage`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		data, err := DecodePayload(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidPayload) {
				t.Fatalf("error is not ErrInvalidPayload: %v", err)
			}
			return
		}
		if data == nil {
			t.Fatal("accepted body decoded to nil")
		}
		var again map[string]any
		if err := json.Unmarshal(raw, &again); err != nil {
			t.Fatalf("accepted a body encoding/json rejects: %v", err)
		}
		if d := depthOf(data); d > MaxPayloadDepth {
			t.Fatalf("accepted a body of depth %d", d)
		}
	})
}

// depthOf is the nesting depth of a decoded JSON value (an object is 1).
func depthOf(v any) int {
	deepest := 0
	switch t := v.(type) {
	case map[string]any:
		for _, c := range t {
			deepest = max(deepest, depthOf(c))
		}
		return deepest + 1
	case []any:
		for _, c := range t {
			deepest = max(deepest, depthOf(c))
		}
		return deepest + 1
	}
	return 0
}

// FuzzSignatureHeaders feeds arbitrary header values to every signature
// parser and to Verify: no panic, a wrong signature never verifies, and what
// SignStandard and testkit.SignHMAC produce for the fuzzed body and id always does.
func FuzzSignatureHeaders(f *testing.F) {
	f.Add("sha256="+testkit.SignHMAC([]byte("s"), []byte("{}")), specSignature, specID, strconv.Itoa(specTimestamp), []byte(specBody))
	f.Add("", "v1,", "", "", []byte(""))
	f.Add("sha256=zz", "v1,a v1,b v2,c", "id", "-1", []byte("{}"))
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "v1,"+string(make([]byte, 44)), "x.y", "99999999999999999999", []byte("x"))
	now := time.Unix(specTimestamp, 0)
	creds := Credentials{Secrets: [][]byte{[]byte(specSecret), []byte("plain")}, APIKeys: [][]byte{[]byte("k")}, Now: now}
	f.Fuzz(func(t *testing.T, hmacSig, stdSig, id, ts string, body []byte) {
		_, _, _ = parseHMACSignature(hmacSig)
		for _, b := range ParseStandardSignatures(stdSig) {
			if len(b) != 32 {
				t.Fatalf("parsed a %d-byte signature", len(b))
			}
		}
		h := http.Header{}
		h.Set("X-Webhook-Signature", hmacSig)
		h.Set(HeaderWebhookSignature, stdSig)
		h.Set(HeaderWebhookID, id)
		h.Set(HeaderWebhookTimestamp, ts)
		h.Set(HeaderAPIKey, hmacSig)
		for _, scheme := range []string{SchemeAuto, SchemeHMACSHA256, SchemeStandard, SchemeAPIKey} {
			if _, err := Verify(h, body, creds, scheme); err != nil && !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("scheme %s: error is not ErrInvalidSignature: %v", scheme, err)
			}
		}
		key, _ := DecodeSecret(specSecret)
		good := StandardHeaders{ID: id, Timestamp: strconv.FormatInt(now.Unix(), 10), Signature: SignStandard(key, id, now, body)}
		if id != "" {
			if err := VerifyStandard(good, body, creds.Secrets, now, 0); err != nil {
				t.Fatalf("own Standard Webhooks signature did not verify: %v", err)
			}
			bad := append([]byte{'!'}, body...)
			if VerifyStandard(good, bad, creds.Secrets, now, 0) == nil {
				t.Fatal("a changed body verified")
			}
		}
		if _, err := VerifyHMAC(body, testkit.SignHMAC([]byte("plain"), body), creds.Secrets); err != nil {
			t.Fatalf("own HMAC did not verify: %v", err)
		}
	})
}
