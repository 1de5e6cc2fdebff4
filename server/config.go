package server

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"
)

// Config is the server's configuration, read from the environment by cmd with
// caarlos0/env. The tags are the one source of the variables' documentation:
// env names the variable, envDefault gives its default, desc says in one line
// what it does, and group starts a section (the fields after it belong to it
// until the next group). `webhook-mcp help`, the table in
// docs/configuration.md and the one in README.md are generated from them
// (EnvVars); a test fails when a committed doc differs.
type Config struct {
	HTTPAddr            string        `env:"HTTP_ADDR" envDefault:"127.0.0.1:8000" group:"HTTP listener" desc:"host:port of the HTTP listener (webhooks, /mcp, /sse, API, page); port 0 takes a free one, logged as http listening addr=…; serve fails if it cannot listen, stdio then serves stdio only; set but empty is an error"`
	MaxBodyBytes        int64         `env:"MAX_BODY_BYTES" envDefault:"1048576" desc:"largest webhook body in bytes, 1024 to 67108864; a larger one is 413 payload_too_large"`
	PublicURL           string        `env:"PUBLIC_URL" desc:"public base URL (http or https) behind a reverse proxy: its host and origin are accepted on /mcp and /sse, approval links start with it, https makes the reviewer cookie Secure"`
	HTTPReadTimeout     time.Duration `env:"HTTP_READ_TIMEOUT" envDefault:"30s" desc:"time from a request's first byte until its body is read (headers at most 10 s); a slower client is cut off; MCP streams and long tool calls are not affected; 0 disables"`
	HTTPWriteTimeout    time.Duration `env:"HTTP_WRITE_TIMEOUT" envDefault:"30s" desc:"time each write of a response may take (the deadline moves with every write, so a quiet MCP stream is not cut); a client that stops reading is dropped; 0 disables"`
	HTTPIdleTimeout     time.Duration `env:"HTTP_IDLE_TIMEOUT" envDefault:"60s" desc:"a keep-alive connection idle between requests this long is closed; 0: HTTP_READ_TIMEOUT applies instead"`
	MaxConnections      int           `env:"MAX_CONNECTIONS" envDefault:"512" desc:"open HTTP connections at most: past it the connection waiting longest is closed, or the new one when all are busy; keep it below ulimit -n; 0 disables"`
	MaxConnectionsPerIP int           `env:"MAX_CONNECTIONS_PER_IP" envDefault:"256" desc:"the same per client IP (the TCP peer: behind a reverse proxy, the proxy); 0 disables"`

	MakeComWebhookSecret    []string      `env:"MAKE_COM_WEBHOOK_SECRET" envSeparator:"," group:"Webhook sources" desc:"HMAC / Standard Webhooks secret(s) of source make.com (whsec_… is base64), comma-separated for rotation (any one verifies; the first signs deliveries); with neither this nor an API key, make.com posts are accepted unsigned"`
	MakeComWebhookAPIKey    []string      `env:"MAKE_COM_WEBHOOK_API_KEY" envSeparator:"," desc:"API key(s) accepted from make.com in X-API-Key or Authorization: Bearer, for senders that cannot sign; comma-separated for rotation"`
	ValidationEnabled       bool          `env:"WEBHOOK_VALIDATION_ENABLED" envDefault:"true" desc:"false accepts every source unsigned even when secrets or API keys are set"`
	WebhookTolerance        time.Duration `env:"WEBHOOK_TOLERANCE" envDefault:"5m" desc:"how far a Standard Webhooks webhook-timestamp may be from now, either way (≥ 0)"`
	TimeoutSeconds          int           `env:"WEBHOOK_TIMEOUT_SECONDS" envDefault:"30" desc:"deadline in seconds, 1 to 3600, of each action call (webhook or tool: 408 timeout) and of each delivery attempt; shutdown drains for up to this plus 5 s"`
	WebhookRequireTimestamp bool          `env:"WEBHOOK_REQUIRE_TIMESTAMP" envDefault:"false" desc:"true accepts only Standard Webhooks signatures (over an id and a timestamp): signatures over the body alone and API keys, which cannot tell a replay from a new request, are refused"`
	IdempotencyWindow       time.Duration `env:"IDEMPOTENCY_WINDOW" envDefault:"24h" desc:"how long a repeated Idempotency-Key gets the first response instead of running again (a webhook-id is kept at least WEBHOOK_TOLERANCE); 0: never"`
	IdempotencyBodyWindow   time.Duration `env:"IDEMPOTENCY_BODY_WINDOW" envDefault:"10m" desc:"how long a webhook without a key header is deduplicated by the hash of its route and body; the same body posted later is processed again"`

	RateLimitPerIP        float64       `env:"RATE_LIMIT_PER_IP" envDefault:"100" group:"Ingress security" desc:"webhook requests per second per client IP, burst twice that; 0 disables; over it: 429 rate_limited with Retry-After"`
	RateLimitPerSource    float64       `env:"RATE_LIMIT_PER_SOURCE" envDefault:"200" desc:"webhook requests per second per source, burst twice that; 0 disables"`
	TrustProxyHeaders     bool          `env:"TRUST_PROXY_HEADERS" envDefault:"false" desc:"true: the client IP for rate limits is the last X-Forwarded-For entry (only behind a proxy that sets it)"`
	AllowedOrigins        []string      `env:"ALLOWED_ORIGINS" envSeparator:"," desc:"browser origins accepted on /mcp, /sse, /message, comma-separated: scheme://host[:port], scheme://host:* for any port, * for all; unset: localhost, 127.0.0.1 and [::1] over http or https on any port"`
	AllowedHosts          []string      `env:"ALLOWED_HOSTS" envSeparator:"," desc:"extra Host values accepted on /mcp, /sse, /message at a loopback listener besides loopback names and PUBLIC_URL's host (DNS-rebinding protection), comma-separated"`
	MCPAuthToken          string        `env:"MCP_AUTH_TOKEN" desc:"when set, /mcp, /sse and /message require it (or APPROVAL_TOKEN) as Authorization: Bearer <token>; must differ from APPROVAL_TOKEN; stdio never needs one; unset: whoever reaches the port can call every tool"`
	AuthFailuresPerMinute float64       `env:"AUTH_FAILURES_PER_MINUTE" envDefault:"10" desc:"wrong credentials (webhook signature or API key, bearer token, sign-in) a client IP may present in a burst, then per minute, before 429 rate_limited; 0 disables"`
	MCPSessionIdleTimeout time.Duration `env:"MCP_SESSION_IDLE_TIMEOUT" envDefault:"30m" desc:"an MCP session (Streamable HTTP or SSE) that sent nothing for this long is ended; 0 keeps sessions until the client ends them"`
	MCPMaxSessions        int           `env:"MCP_MAX_SESSIONS" envDefault:"1000" desc:"live MCP sessions at most (Streamable HTTP, SSE and stdio together); beyond it 503 too_many_sessions with Retry-After: 60; 0 disables"`
	OAuthIssuer           string        `env:"OAUTH_ISSUER" desc:"makes /mcp, /sse, /message an OAuth 2.1 resource server: JWT access tokens with exactly this iss (https, http only on loopback) are accepted besides the tokens; scopes webhooks:read, webhooks:write, webhooks:approve"`
	OAuthAudience         string        `env:"OAUTH_AUDIENCE" desc:"the aud an access token must contain; unset: PUBLIC_URL (else the listen address) followed by /mcp; needs OAUTH_ISSUER"`
	OAuthJWKSURL          string        `env:"OAUTH_JWKS_URL" desc:"the issuer's signing keys (https); unset: discovered from the issuer's /.well-known/oauth-authorization-server, else /.well-known/openid-configuration; needs OAUTH_ISSUER"`

	ApprovalToken       string        `env:"APPROVAL_TOKEN" group:"Approvals" desc:"bearer token of the approvals, deliveries and graph API and of the CLI, and the sign-in token of the /approvals page; also accepted on /mcp, /sse, /message, where its holder may approve; must differ from MCP_AUTH_TOKEN; unset: generated into DATA_DIR/approval_token (set it for several replicas)"`
	ApprovalTTL         time.Duration `env:"APPROVAL_TTL" envDefault:"24h" desc:"how long a request stays pending before it expires, at least 1m (checked every 30 s and on any decision)"`
	ApprovalElicitation bool          `env:"APPROVAL_ELICITATION" envDefault:"true" desc:"send_webhook_response asks the person in an MCP client that declares elicitation, when its principal may approve, to approve or reject right there; false leaves requests pending"`
	ApprovalSelfApprove bool          `env:"APPROVAL_SELF_APPROVE" envDefault:"true" desc:"false is four-eyes review: the principal that asked for a request may not decide it on any channel (page, API, CLI: 403 forbidden), and no elicitation is asked"`
	ApprovalMaxPending  int           `env:"APPROVAL_MAX_PENDING" envDefault:"100" desc:"pending requests one requester principal may have, 0 (no cap) to 1000; beyond it send_webhook_response is a rate_limited tool error"`
	ApprovalNotifyURL   string        `env:"APPROVAL_NOTIFY_URL" desc:"http or https URL that gets a short JSON POST (Slack-compatible text, link to the request) for every new pending request; failures are logged and never block"`

	MakeComWebhookEndpoint string        `env:"MAKE_COM_WEBHOOK_ENDPOINT" group:"Outbound deliveries" desc:"default response_url of send_webhook_response (e.g. a Make custom webhook); unset, a call without response_url is refused"`
	DeliveryRetrySchedule  string        `env:"DELIVERY_RETRY_SCHEDULE" envDefault:"0s,5s,30s,2m,10m,30m" desc:"delay before each delivery attempt, comma-separated, with full jitter and never shorter than the receiver's Retry-After; after the last one the delivery is failed"`
	OutboundAllowHosts     []string      `env:"OUTBOUND_ALLOW_HOSTS" envSeparator:"," desc:"host names or CIDR prefixes deliveries may reach although the SSRF guard would refuse them (private, loopback), comma-separated"`
	OutboundAllowPrivate   bool          `env:"OUTBOUND_ALLOW_PRIVATE" envDefault:"false" desc:"true turns the SSRF guard's address checks off; only http and https stay enforced"`
	OutboundProxy          string        `env:"OUTBOUND_PROXY" desc:"proxy URL for deliveries (the guard then checks the proxy's address); none is ever taken from HTTP_PROXY or HTTPS_PROXY"`
	DeliveryLease          time.Duration `env:"DELIVERY_LEASE" envDefault:"0s" desc:"how long a replica's claim on a delivery attempt lasts before another replica takes the attempt over; 0: 2×WEBHOOK_TIMEOUT_SECONDS+30s; else at least WEBHOOK_TIMEOUT_SECONDS+1s"`

	DataDir        string        `env:"DATA_DIR" envDefault:"./data" group:"Storage" desc:"directory of webhook-mcp.db (with its -wal and -shm files), created if absent; use an absolute path when an MCP client starts the binary"`
	DatabaseURL    string        `env:"DATABASE_URL" desc:"sqlite:///abs/path/file.db or sqlite://relative/file.db, or postgres://user:pass@host:5432/db for PostgreSQL (several replicas on one database; pgx URL parameters such as sslmode, pool_max_conns); overrides DATA_DIR"`
	InboxRetention time.Duration `env:"INBOX_RETENTION" envDefault:"720h" desc:"inbox rows received longer ago are deleted at start and hourly (graphs and approvals are kept); 0 keeps them"`

	LogLevel  string `env:"LOG_LEVEL" envDefault:"info" group:"Logging" desc:"debug, info, warn or error (any case); the log is log/slog on stderr, never stdout"`
	LogFormat string `env:"LOG_FORMAT" envDefault:"text" desc:"text or json"`
	Debug     bool   `env:"DEBUG" envDefault:"false" desc:"true forces the debug level and logs each webhook's body size, headers (only allowlisted values, the rest [redacted] as in the inbox) and response"`
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
	if err := checkListenAddr(c.HTTPAddr); err != nil {
		return err
	}
	if err := c.checkURLs(); err != nil {
		return err
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

// checkListenAddr checks HTTP_ADDR: host:port, where the host may be empty (all
// interfaces) but the port may not.
func checkListenAddr(addr string) error {
	if strings.TrimSpace(addr) == "" {
		return fmt.Errorf("HTTP_ADDR is empty: want host:port such as 127.0.0.1:8000 (unset it for that default)")
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return fmt.Errorf("HTTP_ADDR=%q: want host:port such as 127.0.0.1:8000 or 0.0.0.0:8000", addr)
	}
	return nil
}

// checkURLs checks the URL-valued variables, which are otherwise only used
// later (a notification, a link, an Origin comparison) where a typo would fail
// quietly.
func (c Config) checkURLs() error {
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || !isHTTPURL(u) || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("PUBLIC_URL=%q: want the public http or https base URL without query, such as https://hooks.example.com",
				c.PublicURL)
		}
	}
	if c.ApprovalNotifyURL != "" {
		if u, err := url.Parse(c.ApprovalNotifyURL); err != nil || !isHTTPURL(u) {
			return fmt.Errorf("APPROVAL_NOTIFY_URL=%q: want an http or https URL such as https://hooks.slack.com/services/…",
				c.ApprovalNotifyURL)
		}
	}
	for _, o := range c.AllowedOrigins {
		if o = strings.TrimSpace(o); o != "" && o != "*" && !isOrigin(o) {
			return fmt.Errorf("ALLOWED_ORIGINS entry %q: want scheme://host[:port], scheme://host:* for any port, or *", o)
		}
	}
	return nil
}

// isHTTPURL reports whether u is an absolute http or https URL with a host and
// no credentials.
func isHTTPURL(u *url.URL) bool {
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Hostname() != "" && u.User == nil
}

// isOrigin reports whether o is a browser origin (scheme://host[:port], with
// :* standing for any port): no path, query, fragment or credentials.
func isOrigin(o string) bool {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSuffix(o, "/"), ":*"))
	return err == nil && u.Scheme != "" && u.Hostname() != "" && u.User == nil && u.Path == "" &&
		u.RawQuery == "" && u.Fragment == "" && !u.ForceQuery && u.Opaque == ""
}
