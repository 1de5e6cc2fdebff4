package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"code.dny.dev/ssrf"
	"github.com/webhook-mcp/webhook-mcp/api"
)

// ErrRefusedTarget means an outbound URL points where the server must never
// connect: its own machine, a private network or a cloud metadata address.
var ErrRefusedTarget = errors.New("refused target")

// Resolver looks up the addresses of a host; *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard decides which outbound destinations are allowed. The zero value is not
// usable; build one with NewGuard.
type Guard struct {
	guardian     *ssrf.Guardian
	allowHosts   map[string]bool
	allowPrivate bool
	resolver     Resolver
}

// GuardConfig opens the guard deliberately.
type GuardConfig struct {
	// AllowHosts are host names (exact, case-insensitive) or CIDR prefixes that
	// may be reached even when they are private.
	AllowHosts []string
	// AllowPrivate turns the address checks off (only http/https remain).
	AllowPrivate bool
	// Resolver resolves host names (nil: net.DefaultResolver).
	Resolver Resolver
}

// NewGuard builds a guard that refuses loopback, private (RFC 1918), carrier-grade
// NAT, link-local (including 169.254.169.254), IPv6 unique-local and link-local,
// multicast, unspecified and the IPv4-mapped forms of these, following the IANA
// special-purpose registries.
func NewGuard(cfg GuardConfig) (*Guard, error) {
	g := &Guard{allowHosts: map[string]bool{}, allowPrivate: cfg.AllowPrivate, resolver: cfg.Resolver}
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	var v4, v6 []netip.Prefix
	for _, h := range cfg.AllowHosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if p, err := netip.ParsePrefix(h); err == nil {
			if p.Addr().Is4() {
				v4 = append(v4, p.Masked())
			} else {
				v6 = append(v6, p.Masked())
			}
			continue
		}
		if a, err := netip.ParseAddr(h); err == nil {
			p := netip.PrefixFrom(a, a.BitLen())
			if a.Is4() {
				v4 = append(v4, p)
			} else {
				v6 = append(v6, p)
			}
			continue
		}
		if strings.ContainsAny(h, "/:") {
			return nil, fmt.Errorf("OUTBOUND_ALLOW_HOSTS entry %q is neither a host name nor a CIDR prefix", h)
		}
		g.allowHosts[strings.ToLower(h)] = true
	}
	g.guardian = ssrf.New(ssrf.WithAnyPort(), ssrf.WithAllowedV4Prefixes(v4...), ssrf.WithAllowedV6Prefixes(v6...))
	return g, nil
}

// CheckURL refuses at once what can never be delivered: schemes other than
// http/https, "localhost" names and IP literals (including decimal, hex and
// octal IPv4 forms) in refused ranges. Host names are checked again, after DNS
// resolution, when connecting.
func (g *Guard) CheckURL(field, raw string) (*url.URL, error) {
	u, err := CheckTargetURL(field, raw)
	if err != nil {
		return nil, err
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if g.allowPrivate || g.allowHosts[host] {
		return u, nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil, refused(field, host, "it names this machine")
	}
	if ip, ok := parseIPLiteral(host); ok {
		if err := g.guardian.SafeAddr(ip); err != nil {
			return nil, refused(field, host, "it is a loopback, private, link-local or otherwise reserved address")
		}
	}
	return u, nil
}

// DialContext resolves the host, refuses any refused address, and dials with the
// guard's Control hook as a second check at connect time.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	lower := strings.ToLower(strings.TrimSuffix(host, "."))
	open := g.allowPrivate || g.allowHosts[lower]
	d := &net.Dialer{}
	if !open {
		d.Control = g.control
	}
	ips, err := g.lookup(ctx, lower)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for _, ip := range ips {
		if err := g.guardian.SafeAddr(ip.Unmap()); err != nil && !open {
			lastErr = fmt.Errorf("%w: %s resolves to %s", ErrRefusedTarget, host, ip)
			continue
		}
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("%s: no addresses", host)
	}
	return nil, lastErr
}

func (g *Guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, ok := parseIPLiteral(host); ok {
		return []netip.Addr{ip}, nil
	}
	ips, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	return ips, nil
}

// control is the net.Dialer Control hook: it sees the address actually dialled.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefusedTarget, address)
	}
	if err := g.guardian.SafeAddr(ap.Addr().Unmap()); err != nil {
		return fmt.Errorf("%w: %v", ErrRefusedTarget, err)
	}
	return nil
}

// parseIPLiteral parses IPv4 and IPv6 literals, IPv4-mapped IPv6, and the
// inet_aton forms some resolvers accept: 2130706433, 0x7f000001, 0177.0.0.1, 127.1.
func parseIPLiteral(host string) (netip.Addr, bool) {
	host = strings.Trim(host, "[]")
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap(), true
	}
	parts := strings.Split(host, ".")
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 0, 32) // base prefix: 0x hex, 0 octal
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i := 0; i < last; i++ {
		if vals[i] > 0xff {
			return netip.Addr{}, false
		}
		n |= vals[i] << (24 - 8*i)
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

func refused(field, host, why string) error {
	return &ValidationError{Code: api.CodeInvalidArgument, Fields: []string{field},
		Message: fmt.Sprintf("%s host %q is refused: %s; the server never connects to its own network", field, host, why),
		kind:    ErrRefusedTarget}
}
