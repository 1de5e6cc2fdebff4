package server

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Config is the server's configuration, read from the environment by cmd with
// caarlos0/env (the tags name the variables).
type Config struct {
	HTTPAddr               string        `env:"HTTP_ADDR" envDefault:"127.0.0.1:8000"`
	MakeComWebhookSecret   []string      `env:"MAKE_COM_WEBHOOK_SECRET" envSeparator:","`
	MakeComWebhookEndpoint string        `env:"MAKE_COM_WEBHOOK_ENDPOINT"`
	ValidationEnabled      bool          `env:"WEBHOOK_VALIDATION_ENABLED" envDefault:"true"`
	TimeoutSeconds         int           `env:"WEBHOOK_TIMEOUT_SECONDS" envDefault:"30"`
	MaxBodyBytes           int64         `env:"MAX_BODY_BYTES" envDefault:"1048576"`
	ApprovalToken          string        `env:"APPROVAL_TOKEN"`
	MCPAuthToken           string        `env:"MCP_AUTH_TOKEN"`
	LogLevel               string        `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat              string        `env:"LOG_FORMAT" envDefault:"text"`
	Debug                  bool          `env:"DEBUG" envDefault:"false"`
	DataDir                string        `env:"DATA_DIR" envDefault:"./data"`
	DatabaseURL            string        `env:"DATABASE_URL"`
	IdempotencyWindow      time.Duration `env:"IDEMPOTENCY_WINDOW" envDefault:"24h"`
	// IdempotencyBodyWindow is how long a webhook without a key header is
	// deduplicated by the hash of its body: a sender that posts the same body
	// later (a status that did not change) is processed again.
	IdempotencyBodyWindow time.Duration `env:"IDEMPOTENCY_BODY_WINDOW" envDefault:"10m"`
	InboxRetention        time.Duration `env:"INBOX_RETENTION" envDefault:"720h"`
	ApprovalTTL           time.Duration `env:"APPROVAL_TTL" envDefault:"24h"`
	PublicURL             string        `env:"PUBLIC_URL"`
	// Ingress security (see README "Security"): API keys for senders that
	// cannot sign, the Standard Webhooks timestamp tolerance, rate limits
	// (requests per second, burst twice that; 0 disables), and the Origin and
	// Host values the MCP endpoints accept.
	MakeComWebhookAPIKey []string      `env:"MAKE_COM_WEBHOOK_API_KEY" envSeparator:","`
	WebhookTolerance     time.Duration `env:"WEBHOOK_TOLERANCE" envDefault:"5m"`
	// WebhookRequireTimestamp refuses signatures over the body alone (they
	// cannot tell a replay from a new request): only Standard Webhooks
	// signatures, which sign an id and a timestamp, are accepted.
	WebhookRequireTimestamp bool     `env:"WEBHOOK_REQUIRE_TIMESTAMP" envDefault:"false"`
	RateLimitPerSource      float64  `env:"RATE_LIMIT_PER_SOURCE" envDefault:"200"`
	RateLimitPerIP          float64  `env:"RATE_LIMIT_PER_IP" envDefault:"100"`
	TrustProxyHeaders       bool     `env:"TRUST_PROXY_HEADERS" envDefault:"false"`
	AllowedOrigins          []string `env:"ALLOWED_ORIGINS" envSeparator:","`
	AllowedHosts            []string `env:"ALLOWED_HOSTS" envSeparator:","`
	// ApprovalElicitation lets send_webhook_response ask the person in an MCP
	// client that declares elicitation to approve or reject right there.
	ApprovalElicitation bool `env:"APPROVAL_ELICITATION" envDefault:"true"`
	// ApprovalSelfApprove lets the principal that asked for an approval decide
	// it; false is four-eyes review, on every channel (and then no MCP
	// elicitation is asked, since its answer always comes from the requester).
	ApprovalSelfApprove bool `env:"APPROVAL_SELF_APPROVE" envDefault:"true"`
	// ApprovalMaxPending caps the pending requests of one requester principal
	// (0: no cap); send_webhook_response beyond it is a rate_limited tool error.
	ApprovalMaxPending int `env:"APPROVAL_MAX_PENDING" envDefault:"100"`
	// ApprovalNotifyURL, when set, receives a short JSON POST (Slack-compatible
	// "text") for every request that becomes pending.
	ApprovalNotifyURL     string   `env:"APPROVAL_NOTIFY_URL"`
	OutboundAllowHosts    []string `env:"OUTBOUND_ALLOW_HOSTS" envSeparator:","`
	OutboundAllowPrivate  bool     `env:"OUTBOUND_ALLOW_PRIVATE" envDefault:"false"`
	OutboundProxy         string   `env:"OUTBOUND_PROXY"`
	DeliveryRetrySchedule string   `env:"DELIVERY_RETRY_SCHEDULE" envDefault:"0s,5s,30s,2m,10m,30m"`
	// Connection and session limits (docs/security.md); 0 turns one off.
	// HTTPReadTimeout bounds reading a request's headers and body,
	// HTTPWriteTimeout each write of a response, HTTPIdleTimeout a keep-alive
	// connection between requests.
	HTTPReadTimeout     time.Duration `env:"HTTP_READ_TIMEOUT" envDefault:"30s"`
	HTTPWriteTimeout    time.Duration `env:"HTTP_WRITE_TIMEOUT" envDefault:"30s"`
	HTTPIdleTimeout     time.Duration `env:"HTTP_IDLE_TIMEOUT" envDefault:"60s"`
	MaxConnections      int           `env:"MAX_CONNECTIONS" envDefault:"512"`
	MaxConnectionsPerIP int           `env:"MAX_CONNECTIONS_PER_IP" envDefault:"256"`
	// MCPSessionIdleTimeout ends MCP sessions (Streamable HTTP and SSE) that
	// sent nothing for this long; MCPMaxSessions caps how many live at once.
	MCPSessionIdleTimeout time.Duration `env:"MCP_SESSION_IDLE_TIMEOUT" envDefault:"30m"`
	MCPMaxSessions        int           `env:"MCP_MAX_SESSIONS" envDefault:"1000"`
	// AuthFailuresPerMinute is how many failed credentials (sign-in, bearer
	// token, webhook signature or API key) a client IP may present in a burst,
	// and then per minute, before it gets 429 rate_limited.
	AuthFailuresPerMinute float64 `env:"AUTH_FAILURES_PER_MINUTE" envDefault:"10"`
	// OAuthIssuer, when set, makes /mcp, /sse and /message an OAuth 2.1
	// resource server: JWT access tokens from this issuer (its exact "iss")
	// are accepted besides MCP_AUTH_TOKEN and APPROVAL_TOKEN (docs/remote.md).
	OAuthIssuer string `env:"OAUTH_ISSUER"`
	// OAuthAudience is the "aud" an access token must contain; empty:
	// PUBLIC_URL (else the listen address) followed by /mcp.
	OAuthAudience string `env:"OAUTH_AUDIENCE"`
	// OAuthJWKSURL is where the issuer's signing keys are; empty: discovered
	// from the issuer's /.well-known/oauth-authorization-server, then
	// /.well-known/openid-configuration.
	OAuthJWKSURL string `env:"OAUTH_JWKS_URL"`
	// DeliveryLease is how long a replica's claim on a delivery attempt lasts
	// before another replica may take it over (0: 2×WEBHOOK_TIMEOUT_SECONDS+30s).
	DeliveryLease time.Duration `env:"DELIVERY_LEASE"`
}

// Lease is DELIVERY_LEASE, or its default from WEBHOOK_TIMEOUT_SECONDS.
func (c Config) Lease() time.Duration {
	if c.DeliveryLease > 0 {
		return c.DeliveryLease
	}
	return 2*c.Timeout() + 30*time.Second
}

// Timeout is WEBHOOK_TIMEOUT_SECONDS as a duration.
func (c Config) Timeout() time.Duration { return time.Duration(c.TimeoutSeconds) * time.Second }

// Validate checks ranges the environment parser cannot; its message names the
// variable and what it accepts.
func (c Config) Validate() error {
	switch {
	case c.TimeoutSeconds < 1 || c.TimeoutSeconds > 3600:
		return fmt.Errorf("WEBHOOK_TIMEOUT_SECONDS=%d: want whole seconds from 1 to 3600", c.TimeoutSeconds)
	case c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 64<<20:
		return fmt.Errorf("MAX_BODY_BYTES=%d: want bytes from 1024 to 67108864", c.MaxBodyBytes)
	case c.HTTPAddr == "":
		return fmt.Errorf("HTTP_ADDR is empty: want host:port, e.g. 127.0.0.1:8000")
	case c.IdempotencyWindow < 0 || c.IdempotencyBodyWindow < 0 || c.InboxRetention < 0:
		return fmt.Errorf("IDEMPOTENCY_WINDOW, IDEMPOTENCY_BODY_WINDOW and INBOX_RETENTION must not be negative")
	case c.ApprovalTTL < time.Minute:
		return fmt.Errorf("APPROVAL_TTL=%s: want a duration of at least 1m, e.g. 24h", c.ApprovalTTL)
	case c.WebhookTolerance < 0 || c.RateLimitPerSource < 0 || c.RateLimitPerIP < 0:
		return fmt.Errorf("WEBHOOK_TOLERANCE, RATE_LIMIT_PER_SOURCE and RATE_LIMIT_PER_IP must not be negative")
	case c.DeliveryLease != 0 && c.DeliveryLease < c.Timeout()+time.Second:
		return fmt.Errorf("DELIVERY_LEASE=%s: want 0 (the default) or at least WEBHOOK_TIMEOUT_SECONDS+1s, "+
			"so that a live attempt never outlasts its claim", c.DeliveryLease)
	case c.HTTPReadTimeout < 0 || c.HTTPWriteTimeout < 0 || c.HTTPIdleTimeout < 0 || c.MCPSessionIdleTimeout < 0:
		return fmt.Errorf("HTTP_READ_TIMEOUT, HTTP_WRITE_TIMEOUT, HTTP_IDLE_TIMEOUT and MCP_SESSION_IDLE_TIMEOUT must not be negative")
	case c.MaxConnections < 0 || c.MaxConnectionsPerIP < 0 || c.MCPMaxSessions < 0 || c.AuthFailuresPerMinute < 0:
		return fmt.Errorf("MAX_CONNECTIONS, MAX_CONNECTIONS_PER_IP, MCP_MAX_SESSIONS and AUTH_FAILURES_PER_MINUTE must not be negative")
	case c.ApprovalMaxPending < 0 || c.ApprovalMaxPending > 1000:
		return fmt.Errorf("APPROVAL_MAX_PENDING=%d: want a whole number from 0 (no cap) to 1000", c.ApprovalMaxPending)
	case c.ApprovalToken != "" && c.ApprovalToken == c.MCPAuthToken:
		return fmt.Errorf("APPROVAL_TOKEN and MCP_AUTH_TOKEN are the same: every MCP client could approve; use two tokens")
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("LOG_FORMAT=%q: want text or json", c.LogFormat)
	}
	if _, err := c.Level(); err != nil {
		return err
	}
	if _, err := c.RetrySchedule(); err != nil {
		return err
	}
	return c.validateOAuth()
}

// validateOAuth checks OAUTH_ISSUER, OAUTH_AUDIENCE and OAUTH_JWKS_URL: the
// first is an absolute http(s) URL (https but on loopback), the others only
// make sense with it.
func (c Config) validateOAuth() error {
	if c.OAuthIssuer == "" {
		if c.OAuthAudience != "" || c.OAuthJWKSURL != "" {
			return fmt.Errorf("OAUTH_AUDIENCE and OAUTH_JWKS_URL need OAUTH_ISSUER, the authorization server's issuer URL")
		}
		return nil
	}
	for name, v := range map[string]string{"OAUTH_ISSUER": c.OAuthIssuer, "OAUTH_JWKS_URL": c.OAuthJWKSURL,
		"PUBLIC_URL": c.PublicURL} {
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Host))) {
			return fmt.Errorf("%s=%q: with OAUTH_ISSUER, want an absolute https URL (http only on loopback)", name, v)
		}
	}
	return nil
}

// RetrySchedule parses DELIVERY_RETRY_SCHEDULE: the delay before each delivery
// attempt, the first usually 0s.
func (c Config) RetrySchedule() ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(c.DeliveryRetrySchedule, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("DELIVERY_RETRY_SCHEDULE=%q: want comma-separated durations such as 0s,5s,30s,2m,10m,30m",
				c.DeliveryRetrySchedule)
		}
		out = append(out, d)
	}
	return out, nil
}

// Level is the log level: DEBUG=true forces debug.
func (c Config) Level() (slog.Level, error) {
	if c.Debug {
		return slog.LevelDebug, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(c.LogLevel))); err != nil {
		return 0, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}
