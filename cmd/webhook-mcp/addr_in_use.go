package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// holder is what answers on an address this process could not listen on.
type holder struct {
	WebhookMCP bool   // /api/status answered with name webhook-mcp
	Version    string // its version, when it is webhook-mcp
}

// probeHolder asks GET http://<addr>/api/status who holds addr (a wildcard
// host is asked on loopback). It gives up after a short while: an address in
// use by something that does not answer HTTP is simply not webhook-mcp.
func probeHolder(ctx context.Context, addr string) holder {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return holder{}
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/api/status", nil)
	if err != nil {
		return holder{}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return holder{}
	}
	defer resp.Body.Close()
	var st struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st) != nil ||
		st.Name != "webhook-mcp" {
		return holder{}
	}
	return holder{WebhookMCP: true, Version: st.Version}
}

// listenError explains a failed listen on HTTP_ADDR: when the address is held
// by another webhook-mcp (typically the copy a desktop client runs with
// `webhook-mcp stdio`, which serves the same HTTP listener), it says so and
// how to go on, rather than the bare "address already in use".
func listenError(ctx context.Context, addr string, err error) error {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on HTTP_ADDR=%s: %w", addr, err)
	}
	h := probeHolder(ctx, addr)
	if !h.WebhookMCP {
		return fmt.Errorf("listen on HTTP_ADDR=%s: the address is in use by another program (not webhook-mcp); "+
			"stop it or set HTTP_ADDR to a free address, e.g. HTTP_ADDR=127.0.0.1:8001: %w", addr, err)
	}
	return fmt.Errorf("listen on HTTP_ADDR=%s: another webhook-mcp (version %s) already serves this address, "+
		"typically the copy a desktop client such as Claude Desktop started with `webhook-mcp stdio`, which serves "+
		"the webhook receiver and the reviewer page on HTTP_ADDR too. Either use that one (webhooks to "+
		"http://%s/api/webhook/…, the reviewer page at http://%s/approvals), or quit it (the desktop client) "+
		"before starting this one, or give this one another address, e.g. HTTP_ADDR=127.0.0.1:8001 "+
		"(and point Make.com and the CLI at it): %w", addr, h.Version, addr, addr, err)
}
