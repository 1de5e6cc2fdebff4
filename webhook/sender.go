package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// maxResponseExcerpt is how much of a receiver's response body is kept.
const maxResponseExcerpt = 4 << 10

// Outbound is one response to POST to a receiver.
type Outbound struct {
	URL          string
	Body         []byte // JSON
	ResponseType string
	WebhookID    string
}

// SendResult is the outcome of one delivery attempt.
type SendResult struct {
	StatusCode int
	Response   string // the first 4 KiB of the response body
	Duration   time.Duration
	Err        error // transport error or non-2xx status
}

// OK reports whether the receiver answered 2xx.
func (r SendResult) OK() bool { return r.Err == nil && r.StatusCode >= 200 && r.StatusCode < 300 }

// Sender POSTs JSON responses to receivers with a per-attempt timeout.
type Sender struct {
	client    *http.Client
	timeout   time.Duration
	userAgent string
}

// NewSender returns a Sender using client (nil: a client without proxy from the
// environment), a per-attempt timeout and the User-Agent to send.
func NewSender(client *http.Client, timeout time.Duration, userAgent string) *Sender {
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		client = &http.Client{Transport: tr}
	}
	return &Sender{client: client, timeout: timeout, userAgent: userAgent}
}

// Send POSTs o.Body to o.URL once and reports what happened.
func (s *Sender) Send(ctx context.Context, o Outbound) SendResult {
	start := time.Now()
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.URL, bytes.NewReader(o.Body))
	if err != nil {
		return SendResult{Err: fmt.Errorf("build request: %w", err), Duration: time.Since(start)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.userAgent)
	if o.ResponseType != "" {
		req.Header.Set("X-Response-Type", o.ResponseType)
	}
	if o.WebhookID != "" {
		req.Header.Set("X-Webhook-ID", o.WebhookID)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return SendResult{Err: fmt.Errorf("post %s: %w", redactURL(o.URL), err), Duration: time.Since(start)}
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	res := SendResult{StatusCode: resp.StatusCode, Response: string(excerpt), Duration: time.Since(start)}
	if !res.OK() {
		res.Err = fmt.Errorf("receiver answered %s", resp.Status)
	}
	return res
}

// CheckTargetURL rejects URLs that can never be delivered to: anything but an
// absolute http or https URL with a host.
func CheckTargetURL(field, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, InvalidArgument(field, "%s is required (no default response URL is configured)", field)
	}
	u, err := url.Parse(raw)
	if err != nil {
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
