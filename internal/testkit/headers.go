package testkit

import "fmt"

// SecretHeaderNames are request headers that carry credentials under names a
// denylist of "token", "secret", "signature" misses or half-misses. Tests send
// each with SecretHeaderValue(i) and check that no value is recorded or logged.
var SecretHeaderNames = []string{
	"Api-Key", "X-Auth", "X-Password", "X-Access-Key", "X-Token", "Private-Token", "X-Hub-Signature-256",
	"Cookie", "Authorization", "Proxy-Authorization", "X-Api-Key", "X-Client-Secret", "X-Session",
	"X-Csrf", "X-Shopify-Hmac-Sha256", "X-Gitlab-Token", "Stripe-Signature", "X-Amz-Security-Token",
	"X-Pass", "X-Credential",
}

// SecretHeaderValue is the throwaway value test i sends in SecretHeaderNames[i].
func SecretHeaderValue(i int) string { return fmt.Sprintf("leak-canary-%02d-7f3a9c", i) }
