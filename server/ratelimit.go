package server

import (
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/webhook-mcp/webhook-mcp/api"
	"golang.org/x/time/rate"
)

// maxIPLimiters bounds how many client IPs are tracked at once.
const maxIPLimiters = 10000

// limiterSet is a token bucket per key (a source or a client IP), bounded in
// size: idle buckets, which would be full again anyway, are evicted.
type limiterSet struct {
	limit rate.Limit
	burst int
	max   int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim      *rate.Limiter
	lastSeen time.Time
}

// newLimiterSet returns nil (no limit) when perSecond is 0 or less. The burst
// is twice the rate, at least 1.
func newLimiterSet(perSecond float64, maxKeys int) *limiterSet {
	if perSecond <= 0 {
		return nil
	}
	return &limiterSet{limit: rate.Limit(perSecond), burst: max(1, int(math.Ceil(2*perSecond))), max: maxKeys,
		buckets: map[string]*bucket{}}
}

// newFailureLimiter allows burst failures per key, refilled at burst per
// minute; nil (no limit) when burst is 0 or less.
func newFailureLimiter(burst float64, maxKeys int) *limiterSet {
	if burst <= 0 {
		return nil
	}
	return &limiterSet{limit: rate.Limit(burst / 60), burst: max(1, int(math.Ceil(burst))), max: maxKeys,
		buckets: map[string]*bucket{}}
}

// exhausted reports whether key has no token left at now, without taking
// one, and how long until it has.
func (l *limiterSet) exhausted(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return false, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return false, 0
	}
	if tokens := b.lim.TokensAt(now); tokens < 1 {
		return true, time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
	}
	return false, 0
}

// allow takes a token for key at now; when none is left it returns false and
// how long until one is.
func (l *limiterSet) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.lastSeen = now
	res := b.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evict drops buckets idle long enough to have refilled, and if that is not
// enough, arbitrary ones until there is room: a dropped bucket only means its
// key starts again with a full burst.
func (l *limiterSet) evict(now time.Time) {
	refill := time.Duration(float64(l.burst) / float64(l.limit) * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.lastSeen) >= refill {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.max {
			break
		}
		delete(l.buckets, k)
	}
}

// guard holds the per-client-IP and per-source limits of the HTTP endpoints:
// request rates, and the throttle on wrong credentials. Handlers that accept
// traffic or credentials are given it in routes.go.
type guard struct {
	perIP        *limiterSet // RATE_LIMIT_PER_IP; nil: off
	perSource    *limiterSet // RATE_LIMIT_PER_SOURCE; nil: off
	authFailures *limiterSet // AUTH_FAILURES_PER_MINUTE per client IP; nil: off
	trustProxy   bool        // TRUST_PROXY_HEADERS
	now          func() time.Time
	metrics      *Metrics
	log          *slog.Logger
}

func newGuard(cfg Config, now func() time.Time, metrics *Metrics, log *slog.Logger) *guard {
	return &guard{perIP: newLimiterSet(cfg.RateLimitPerIP, maxIPLimiters),
		perSource:    newLimiterSet(cfg.RateLimitPerSource, maxIPLimiters),
		authFailures: newFailureLimiter(cfg.AuthFailuresPerMinute, maxIPLimiters),
		trustProxy:   cfg.TrustProxyHeaders, now: now, metrics: metrics, log: log}
}

// rateLimit applies RATE_LIMIT_PER_IP, then RATE_LIMIT_PER_SOURCE. On refusal it
// writes 429 rate_limited with Retry-After and returns false.
func (s *guard) rateLimit(w http.ResponseWriter, r *http.Request, webhookID, source string) bool {
	now := s.now()
	scope := "ip"
	ok, wait := s.perIP.allow(s.clientIP(r), now)
	if ok {
		scope = "source"
		ok, wait = s.perSource.allow(source, now)
	}
	if ok {
		return true
	}
	s.metrics.rateLimited.WithLabelValues(scope).Inc()
	w.Header().Set("Retry-After", retryAfter(wait))
	writeError(w, webhookID, api.CodeRateLimited, "too many requests from this "+map[string]string{"ip": "client IP",
		"source": "source"}[scope]+"; retry after the Retry-After seconds")
	return false
}

// authThrottled refuses a client IP that presented too many wrong
// credentials (AUTH_FAILURES_PER_MINUTE): it reports true and how long until
// the next attempt is allowed. Callers answer 429 and skip the check.
func (s *guard) authThrottled(r *http.Request) (bool, time.Duration) {
	blocked, wait := s.authFailures.exhausted(s.clientIP(r), s.now())
	if blocked {
		s.metrics.rateLimited.WithLabelValues("auth").Inc()
	}
	return blocked, wait
}

// authFailed counts one wrong credential presented by the request's client IP.
func (s *guard) authFailed(r *http.Request, what string) {
	ip := s.clientIP(r)
	s.authFailures.allow(ip, s.now())
	s.log.WarnContext(r.Context(), "wrong credential", "credential", what, "client_ip", ip, "path", r.URL.Path)
}

// refuseThrottled answers 429 rate_limited with Retry-After, and reports
// true, when the request's client IP is refused by authThrottled.
func (s *guard) refuseThrottled(w http.ResponseWriter, r *http.Request, webhookID string) bool {
	blocked, wait := s.authThrottled(r)
	if blocked {
		w.Header().Set("Retry-After", retryAfter(wait))
		writeError(w, webhookID, api.CodeRateLimited, "too many wrong credentials from this client IP; retry after the Retry-After seconds")
	}
	return blocked
}

// retryAfter renders a wait as whole seconds, at least 1.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))
}

// clientIP is the peer's address, or with TRUST_PROXY_HEADERS the last
// X-Forwarded-For entry (the one the trusted proxy added).
func (s *guard) clientIP(r *http.Request) string {
	if s.trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
