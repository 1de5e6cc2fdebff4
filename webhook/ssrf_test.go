package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/webhook-mcp/webhook-mcp/api"
)

// fakeResolver maps host names to addresses; anything else fails.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ips, ok := f[host]; ok {
		return ips, nil
	}
	return nil, errors.New("no such host")
}

func TestGuardRefusesPlainTargetsAtOnce(t *testing.T) {
	t.Parallel()
	g, err := NewGuard(GuardConfig{})
	require.NoError(t, err)
	refused := []string{
		"http://127.0.0.1/", "http://localhost/", "http://LOCALHOST./x", "http://api.localhost/",
		"http://[::1]/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://192.168.1.1/",
		"http://172.16.0.1/", "http://100.64.0.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
		"http://[fd00::1]/", "http://[fe80::1]/", "http://224.0.0.1/", "http://[::]/",
		"http://2130706433/", "http://0x7f000001/", "http://0177.0.0.1/", "http://127.1/",
	}
	for _, raw := range refused {
		_, err := g.CheckURL("response_url", raw)
		assert.ErrorIs(t, err, ErrRefusedTarget, raw)
		var ve *ValidationError
		if assert.ErrorAs(t, err, &ve, raw) {
			assert.Equal(t, api.CodeInvalidArgument, ve.Code)
		}
	}
	for _, raw := range []string{"file:///etc/passwd", "gopher://example.com/", "ftp://example.com/"} {
		_, err := g.CheckURL("response_url", raw)
		assert.ErrorIs(t, err, ErrInvalidArgument, raw)
	}
	for _, raw := range []string{"https://hook.eu1.make.com/abc", "http://93.184.216.34/x", "https://[2606:4700::1111]/"} {
		_, err := g.CheckURL("response_url", raw)
		assert.NoError(t, err, raw)
	}
}

func TestParseIPLiteralForms(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2130706433": "127.0.0.1", "0x7f000001": "127.0.0.1", "0177.0.0.1": "127.0.0.1", "127.1": "127.0.0.1",
		"10.1": "10.0.0.1", "[::ffff:127.0.0.1]": "127.0.0.1", "8.8.8.8": "8.8.8.8",
	} {
		ip, ok := parseIPLiteral(in)
		require.True(t, ok, in)
		assert.Equal(t, want, ip.String(), in)
	}
	for _, in := range []string{"example.com", "256.1.1.1", "1.2.3.4.5", "0x1ffffffff"} {
		_, ok := parseIPLiteral(in)
		assert.False(t, ok, in)
	}
}

// publicAlias makes an httptest server on loopback look like a public host: the
// resolver says "public.example" is at 127.0.0.1, and only that host name is
// allowed, so everything else on loopback stays refused.
func TestGuardAtConnectTime(t *testing.T) {
	t.Parallel()
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://127.0.0.1:"+r.URL.Query().Get("port")+"/secret", http.StatusTemporaryRedirect)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer rcv.Close()
	port := netip.MustParseAddrPort(rcv.Listener.Addr().String()).Port()
	loop := []netip.Addr{netip.MustParseAddr("127.0.0.1")}

	t.Run("host resolving to loopback is refused", func(t *testing.T) {
		g, err := NewGuard(GuardConfig{Resolver: fakeResolver{"evil.example": loop}})
		require.NoError(t, err)
		s := NewSender(SenderConfig{Guard: g})
		_, err = s.CheckURL("response_url", "http://evil.example/")
		require.NoError(t, err, "a host name passes the quick check; the dialer refuses it")
		res := s.Send(context.Background(), Outbound{URL: urlOn("evil.example", port, "/"), Body: []byte(`{}`)})
		require.Error(t, res.Err)
		assert.ErrorIs(t, res.Err, ErrRefusedTarget)
		assert.False(t, res.Retryable, "a refused target is not retried")
	})
	t.Run("public URL redirecting to loopback is refused", func(t *testing.T) {
		g, err := NewGuard(GuardConfig{AllowHosts: []string{"public.example"}, Resolver: fakeResolver{"public.example": loop}})
		require.NoError(t, err)
		s := NewSender(SenderConfig{Guard: g})
		res := s.Send(context.Background(), Outbound{URL: urlOn("public.example", port, "/redirect?port="+itoa(port)), Body: []byte(`{}`)})
		require.Error(t, res.Err)
		assert.ErrorIs(t, res.Err, ErrRefusedTarget)
		assert.Zero(t, res.StatusCode)
	})
	t.Run("allowed host is reached", func(t *testing.T) {
		g, err := NewGuard(GuardConfig{AllowHosts: []string{"public.example"}, Resolver: fakeResolver{"public.example": loop}})
		require.NoError(t, err)
		res := NewSender(SenderConfig{Guard: g}).Send(context.Background(), Outbound{URL: urlOn("public.example", port, "/"), Body: []byte(`{}`)})
		require.NoError(t, res.Err)
		assert.Equal(t, 200, res.StatusCode)
	})
	t.Run("CIDR allow-list", func(t *testing.T) {
		g, err := NewGuard(GuardConfig{AllowHosts: []string{"127.0.0.0/8"}})
		require.NoError(t, err)
		res := NewSender(SenderConfig{Guard: g}).Send(context.Background(), Outbound{URL: rcv.URL, Body: []byte(`{}`)})
		require.NoError(t, res.Err)
	})
	t.Run("bad allow-list entry", func(t *testing.T) {
		_, err := NewGuard(GuardConfig{AllowHosts: []string{"10.0.0.0/99"}})
		assert.Error(t, err)
	})
}

func urlOn(host string, port uint16, path string) string {
	return "http://" + host + ":" + itoa(port) + path
}

func itoa(p uint16) string {
	return netip.AddrPortFrom(netip.IPv4Unspecified(), p).String()[len("0.0.0.0:"):]
}
