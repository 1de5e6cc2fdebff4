package webhook

import (
	"testing"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// benchmarkVerifyHMAC measures VerifyHMAC of a fixture's raw bytes with a
// "sha256=<hex>" signature, as the webhook endpoint checks every request.
func benchmarkVerifyHMAC(b *testing.B, fixture string) {
	body := testkit.Fixture(b, fixture)
	secrets := [][]byte{[]byte("bench-secret-0123456789abcdef")}
	sig := "sha256=" + testkit.SignHMAC(secrets[0], body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyHMAC(body, sig, secrets); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHMACSeed(b *testing.B) { benchmarkVerifyHMAC(b, "seed_example.json") }

func BenchmarkVerifyHMACFullClickUp(b *testing.B) { benchmarkVerifyHMAC(b, "clickup_task_full.json") }
