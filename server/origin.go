package server

import (
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
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

// originPolicy decides which Host and Origin headers are accepted. Host is
// checked on every route (DNS rebinding: a page on an attacker's name that
// resolves to this server sends that name as Host); Origin on the MCP
// endpoints and on every state-changing request.
type originPolicy struct {
	origins []string        // exact origins or "scheme://host:*" patterns; "*" allows any
	hosts   map[string]bool // host names from ALLOWED_HOSTS and PUBLIC_URL, without port
	anyHost bool            // ALLOWED_HOSTS=*: the Host check is off
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
		switch h = strings.ToLower(strings.TrimSpace(h)); h {
		case "":
		case "*":
			p.anyHost = true
		default:
			p.hosts[hostnameOf(h)] = true
		}
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Host != "" && u.Scheme != "" {
		p.origins = append(p.origins, strings.ToLower(u.Scheme+"://"+u.Host))
		p.hosts[strings.ToLower(u.Hostname())] = true
	}
	return p
}

// originAllowed reports whether a request's Origin header is acceptable for
// r: absent (not a browser), the request's own origin (same Host), or one of
// the allowed origins.
func (p originPolicy) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	origin = strings.ToLower(strings.TrimSuffix(origin, "/"))
	u, err := url.Parse(origin)
	if err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, r.Host) {
		return true
	}
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

// hostAllowed is the DNS-rebinding check of every route: the Host header must
// name loopback, the address the connection arrived on, PUBLIC_URL's host or
// one of ALLOWED_HOSTS. Ports are not compared: an attacker controls the
// name a browser sends, never which of our names it is.
func (p originPolicy) hostAllowed(r *http.Request) bool {
	if p.anyHost {
		return true
	}
	host := hostnameOf(r.Host)
	if host == "" {
		return false
	}
	if p.hosts[host] || isLoopbackHost(host) {
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || local == nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	lip, err := netip.ParseAddrPort(local.String())
	return err == nil && lip.Addr().Unmap() == ip.Unmap()
}

// checkHost refuses, with 403 forbidden, a request whose Host is not this
// server's. It guards every route.
func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.origins.hostAllowed(r) {
			s.log.WarnContext(r.Context(), "request refused: Host is not this server's", "host", r.Host, "path", r.URL.Path,
				"remote", r.RemoteAddr)
			writeError(w, "", api.CodeForbidden, "Host "+r.Host+" is not allowed: add it to ALLOWED_HOSTS or set PUBLIC_URL")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkOrigin refuses, with 403 forbidden, a browser request from an origin
// outside ALLOWED_ORIGINS (and not this server's own).
func (s *Server) checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.origins.originAllowed(r) {
			origin := r.Header.Get("Origin")
			s.log.WarnContext(r.Context(), "request refused: cross-site Origin", "origin", origin, "path", r.URL.Path)
			writeError(w, "", api.CodeForbidden, "Origin "+origin+" is not allowed: add it to ALLOWED_ORIGINS")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// apiWrite guards a state-changing API call before its credential is looked
// at: an allowed Origin when one is sent (403), and Content-Type
// application/json (415), which a cross-site form or text/plain fetch cannot
// send without a preflight that this server never grants.
func (s *Server) apiWrite(next http.HandlerFunc) http.HandlerFunc {
	return s.apiWriteOf(next, "application/json")
}

// apiWriteOf is apiWrite for a body of one of the media types (none of which
// a cross-origin form or simple request can send).
func (s *Server) apiWriteOf(next http.HandlerFunc, mediaTypes ...string) http.HandlerFunc {
	guarded := s.checkOrigin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || !slices.Contains(mediaTypes, mt) {
			writeError(w, "", api.CodeUnsupportedMedia, "Content-Type must be "+strings.Join(mediaTypes, " or "))
			return
		}
		next(w, r)
	}))
	return guarded.ServeHTTP
}

// hostnameOf is the lowercased host of "host", "host:port" or "[v6]:port".
func hostnameOf(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}

// isLoopbackHost reports whether addr ("host" or "host:port") names loopback.
func isLoopbackHost(addr string) bool {
	host := hostnameOf(addr)
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
