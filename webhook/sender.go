package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponseExcerpt is how much of a receiver's response body is kept.
const maxResponseExcerpt = 4 << 10

// maxRedirects is how many redirects one attempt follows, each re-checked.
const maxRedirects = 3

// Outbound is one response to POST to a receiver.
type Outbound struct {
	URL          string
	Body         []byte // JSON
	ResponseType string
	// WebhookID identifies the delivery; it is the same on every retry so a
	// receiver can deduplicate (Standard Webhooks "webhook-id").
	WebhookID string
}

// SendResult is the outcome of one delivery attempt.
type SendResult struct {
	StatusCode int
	Response   string // the first 4 KiB of the response body
	Duration   time.Duration
	Err        error // transport error or non-2xx status
	// Retryable says a later attempt may succeed (network errors, 408, 429, 5xx).
	Retryable bool
	// RetryAfter is the receiver's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Gone says the receiver answered 410: the target is gone for good.
	Gone bool
}

// OK reports whether the receiver answered 2xx.
func (r SendResult) OK() bool { return r.Err == nil && r.StatusCode >= 200 && r.StatusCode < 300 }

// Signer returns the Standard Webhooks signature header value for a delivery,
// or "" to send it unsigned.
type Signer func(id string, ts time.Time, body []byte) string

// SenderConfig holds a Sender's settings.
type SenderConfig struct {
	Timeout   time.Duration // per attempt
	UserAgent string
	Guard     *Guard   // nil: no address checks (tests of the sender only)
	Proxy     *url.URL // nil: never use a proxy, whatever the environment says
	Sign      Signer   // nil: unsigned
	Now       func() time.Time
	// Transport replaces the guarded transport (tests only).
	Transport http.RoundTripper
}

// maxResponseTypeLen bounds the X-Response-Type header value.
const maxResponseTypeLen = 100

// CheckResponseType refuses a response type that is not an HTTP token (RFC
// 9110 tchar: letters, digits and !#$%&'*+-.^_`|~) of at most 100 characters,
// so that it can never carry CR, LF or anything else into the header it is
// sent in.
func CheckResponseType(field, v string) error {
	if v == "" || len(v) > maxResponseTypeLen {
		return InvalidArgument(field, "%s must be 1 to %d characters", field, maxResponseTypeLen)
	}
	for i := 0; i < len(v); i++ {
		if !isTokenChar(v[i]) {
			return InvalidArgument(field, "%s may only hold letters, digits and !#$%%&'*+-.^_`|~ (found %q)",
				field, v[i])
		}
	}
	return nil
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// Sender POSTs JSON responses to receivers: one attempt per Send, with the
// per-attempt timeout, Standard Webhooks headers and the SSRF guard on every
// connection including redirects.
type Sender struct {
	cfg    SenderConfig
	client *http.Client
}

// NewSender returns a Sender for cfg.
func NewSender(cfg SenderConfig) *Sender {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	rt := cfg.Transport
	if rt == nil {
		tr := &http.Transport{
			Proxy:                 nil,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          32,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
		if cfg.Proxy != nil {
			tr.Proxy = http.ProxyURL(cfg.Proxy)
		}
		if cfg.Guard != nil {
			tr.DialContext = cfg.Guard.DialContext
		}
		rt = tr
	}
	s := &Sender{cfg: cfg}
	s.client = &http.Client{Transport: rt, CheckRedirect: s.checkRedirect}
	return s
}

// CheckURL refuses at once a target that can never be delivered to (see
// Guard.CheckURL); host names are checked again when connecting.
func (s *Sender) CheckURL(field, raw string) (*url.URL, error) {
	if s.cfg.Guard == nil {
		return CheckTargetURL(field, raw)
	}
	return s.cfg.Guard.CheckURL(field, raw)
}

// errTooManyRedirects stops a chain of more than maxRedirects redirects.
var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

// checkRedirect follows only 307 and 308, which repeat the POST with the same
// body; any other 3xx (301, 302 and 303 would turn it into a GET without the
// body) ends the attempt with that response, which Send reports as failed.
// Every hop's URL is checked like the first, and the guarded dialer checks the
// address it connects to.
func (s *Sender) checkRedirect(req *http.Request, via []*http.Request) error {
	if req.Response != nil && !followsRedirect(req.Response.StatusCode) {
		return http.ErrUseLastResponse
	}
	if len(via) > maxRedirects {
		return errTooManyRedirects
	}
	_, err := s.CheckURL("redirect", req.URL.String())
	return err
}

// followsRedirect reports whether a redirect status keeps method and body.
func followsRedirect(code int) bool {
	return code == http.StatusTemporaryRedirect || code == http.StatusPermanentRedirect
}

// Send POSTs o.Body to o.URL once and reports what happened.
func (s *Sender) Send(ctx context.Context, o Outbound) SendResult {
	start := time.Now()
	if s.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
	}
	if o.ResponseType != "" {
		if err := CheckResponseType("response_type", o.ResponseType); err != nil {
			return SendResult{Err: err, Duration: time.Since(start)}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.URL, bytes.NewReader(o.Body))
	if err != nil {
		return SendResult{Err: fmt.Errorf("build request: %w", err), Duration: time.Since(start)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	if o.ResponseType != "" {
		req.Header.Set("X-Response-Type", o.ResponseType)
	}
	if o.WebhookID != "" {
		ts := s.cfg.Now()
		req.Header.Set("webhook-id", o.WebhookID)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
		if s.cfg.Sign != nil {
			if sig := s.cfg.Sign(o.WebhookID, ts, o.Body); sig != "" {
				req.Header.Set("webhook-signature", sig)
			}
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		res := SendResult{Err: fmt.Errorf("post %s: %w", redactURL(o.URL), err), Duration: time.Since(start)}
		res.Retryable = !errors.Is(err, ErrRefusedTarget) && !isRedirectRefusal(err) &&
			!errors.Is(err, errTooManyRedirects)
		return res
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	res := SendResult{StatusCode: resp.StatusCode, Response: string(excerpt), Duration: time.Since(start)}
	if res.OK() {
		return res
	}
	res.Err = fmt.Errorf("receiver answered %s", resp.Status)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		res.Err = fmt.Errorf("receiver answered %s: only 307 and 308 redirects are followed", resp.Status)
	}
	switch code := resp.StatusCode; {
	case code == http.StatusGone:
		res.Gone = true
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		res.Retryable = true
		res.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), s.cfg.Now())
	}
	return res
}

// isRedirectRefusal reports whether the client stopped at a refused redirect.
func isRedirectRefusal(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve)
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// CheckTargetURL rejects URLs that can never be delivered to: anything but an
// absolute http or https URL with a host.
func CheckTargetURL(field, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, InvalidArgument(field, "%s is required (no default response URL is configured)", field)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the reason, without Go's `parse "…":` prefix
		}
		return nil, InvalidArgument(field, "%s is not a valid URL: %v", field, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, InvalidArgument(field, "%s must use http or https, not %q", field, u.Scheme)
	}
	if u.Host == "" {
		return nil, InvalidArgument(field, "%s must be an absolute URL with a host", field)
	}
	return u, nil
}

// redactURL drops credentials and the query string, which may hold tokens.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid url>"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}
