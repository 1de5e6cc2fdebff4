package server

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/api"
)

// defaultAllowedOrigins are the browser origins accepted on the MCP endpoints
// when ALLOWED_ORIGINS is not set: pages served from this machine.
var defaultAllowedOrigins = []string{
	"http://localhost:*", "https://localhost:*",
	"http://127.0.0.1:*", "https://127.0.0.1:*",
	"http://[::1]:*", "https://[::1]:*",
}

// originPolicy decides which Origin and Host headers the MCP endpoints accept
// (DNS-rebinding protection).
type originPolicy struct {
	origins []string        // exact origins or "scheme://host:*" patterns; "*" allows any
	hosts   map[string]bool // Host values accepted on a loopback connection besides loopback names
}

// newOriginPolicy reads ALLOWED_ORIGINS, ALLOWED_HOSTS and PUBLIC_URL: the
// public URL's origin and host are always accepted, so a reverse proxy on
// another host name only needs PUBLIC_URL.
func newOriginPolicy(cfg Config) originPolicy {
	p := originPolicy{hosts: map[string]bool{}}
	for _, o := range cfg.AllowedOrigins {
		if o = strings.TrimSpace(o); o != "" {
			p.origins = append(p.origins, strings.ToLower(strings.TrimSuffix(o, "/")))
		}
	}
	if len(p.origins) == 0 {
		p.origins = append(p.origins, defaultAllowedOrigins...)
	}
	for _, h := range cfg.AllowedHosts {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			p.hosts[h] = true
		}
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Host != "" && u.Scheme != "" {
		p.origins = append(p.origins, strings.ToLower(u.Scheme+"://"+u.Host))
		p.hosts[strings.ToLower(u.Host)] = true
	}
	return p
}

// extraHosts reports whether Host values besides loopback names are allowed,
// in which case this policy, not mcp-go's built-in check, guards the Host.
func (p originPolicy) extraHosts() bool { return len(p.hosts) > 0 }

// originAllowed reports whether a request's Origin header is acceptable; a
// request without one (not from a browser) is.
func (p originPolicy) originAllowed(origin string) bool {
	if origin == "" {
		return true
	}
	origin = strings.ToLower(strings.TrimSuffix(origin, "/"))
	u, err := url.Parse(origin)
	for _, allowed := range p.origins {
		switch {
		case allowed == "*" || allowed == origin:
			return true
		case strings.HasSuffix(allowed, ":*") && err == nil && u.Host != "":
			base := strings.TrimSuffix(allowed, ":*")
			if u.Scheme+"://"+u.Hostname() == base || u.Scheme+"://["+u.Hostname()+"]" == base {
				return true
			}
		}
	}
	return false
}

// hostAllowed applies DNS-rebinding protection to the Host header: a request
// that reached a loopback listener must name a loopback host or one of the
// allowed hosts (with or without its port).
func (p originPolicy) hostAllowed(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || local == nil || !isLoopbackHost(local.String()) || isLoopbackHost(r.Host) {
		return true
	}
	host := strings.ToLower(r.Host)
	if p.hosts[host] {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil && p.hosts[h] {
		return true
	}
	return false
}

// checkOrigin guards the MCP endpoints: a browser Origin outside
// ALLOWED_ORIGINS, or a Host that is not this server's on a loopback listener,
// is refused with 403.
func (s *Server) checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.origins.hostAllowed(r) {
			writeError(w, "", api.CodeForbidden, "Host "+r.Host+" is not allowed: add it to ALLOWED_HOSTS or set PUBLIC_URL")
			return
		}
		if origin := r.Header.Get("Origin"); !s.origins.originAllowed(origin) {
			writeError(w, "", api.CodeForbidden, "Origin "+origin+" is not allowed: add it to ALLOWED_ORIGINS")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isLoopbackHost reports whether addr ("host" or "host:port") names loopback.
func isLoopbackHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = strings.Trim(addr, "[]")
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
