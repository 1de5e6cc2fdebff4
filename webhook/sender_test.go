package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hop is one request a redirecting receiver saw.
type hop struct {
	method, path, body, responseType string
}

// redirector answers /r/{code}/{n} with a redirect of status code to
// /r/{code}/{n-1}, and /r/{code}/0 with 200; /final answers 200. It records
// every request.
type redirector struct {
	mu   sync.Mutex
	hops []hop
}

func (rd *redirector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rd.mu.Lock()
	rd.hops = append(rd.hops, hop{r.Method, r.URL.Path, string(b), r.Header.Get("X-Response-Type")})
	rd.mu.Unlock()
	code, n := r.PathValue("code"), r.PathValue("n")
	if r.URL.Path == "/final" || n == "0" {
		w.WriteHeader(http.StatusOK)
		return
	}
	c, _ := strconv.Atoi(code)
	left, _ := strconv.Atoi(n)
	w.Header().Set("Location", "/r/"+code+"/"+strconv.Itoa(left-1))
	w.WriteHeader(c)
}

func (rd *redirector) seen() []hop {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return append([]hop(nil), rd.hops...)
}

func newRedirector(t *testing.T) (*redirector, *httptest.Server) {
	t.Helper()
	rd := &redirector{}
	mux := http.NewServeMux()
	mux.Handle("/r/{code}/{n}", rd)
	mux.Handle("/final", rd)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return rd, srv
}

func loopbackSender(t *testing.T) *Sender {
	t.Helper()
	g, err := NewGuard(GuardConfig{AllowHosts: []string{"127.0.0.1/32"}})
	require.NoError(t, err)
	return NewSender(SenderConfig{Guard: g})
}

// TestSenderFollowsOnly307And308: a 301, 302 or 303 is a failed attempt with
// that status (the Go default would re-send it as a GET without the body and
// report the GET's 200); 307 and 308 repeat the POST with the same body, at
// most three times.
func TestSenderFollowsOnly307And308(t *testing.T) {
	t.Parallel()
	body := `{"answer":42}`
	for _, code := range []int{301, 302, 303} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			t.Parallel()
			rd, srv := newRedirector(t)
			res := loopbackSender(t).Send(context.Background(), Outbound{URL: srv.URL + "/r/" + strconv.Itoa(code) + "/1",
				Body: []byte(body), ResponseType: "client_update"})
			assert.False(t, res.OK())
			assert.Equal(t, code, res.StatusCode, "recorded with the redirect's status")
			require.Error(t, res.Err)
			assert.Contains(t, res.Err.Error(), "only 307 and 308")
			assert.False(t, res.Retryable)
			assert.Len(t, rd.seen(), 1, "the redirect target is never requested")
		})
	}
	for _, code := range []int{307, 308} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			t.Parallel()
			rd, srv := newRedirector(t)
			res := loopbackSender(t).Send(context.Background(), Outbound{URL: srv.URL + "/r/" + strconv.Itoa(code) + "/3",
				Body: []byte(body), ResponseType: "client_update"})
			require.NoError(t, res.Err)
			assert.Equal(t, http.StatusOK, res.StatusCode)
			hops := rd.seen()
			require.Len(t, hops, 4, "the first request and three redirects")
			for _, h := range hops {
				assert.Equal(t, hop{http.MethodPost, h.path, body, "client_update"}, h, "same method, body and headers on every hop")
			}
		})
	}
	t.Run("more than three redirects", func(t *testing.T) {
		t.Parallel()
		rd, srv := newRedirector(t)
		res := loopbackSender(t).Send(context.Background(), Outbound{URL: srv.URL + "/r/307/4", Body: []byte(body)})
		require.ErrorIs(t, res.Err, errTooManyRedirects)
		assert.False(t, res.Retryable)
		assert.Len(t, rd.seen(), 4)
	})
}

// TestSenderChecksEveryRedirectHop: a 307 from an allowed host to a loopback
// address the guard does not allow is refused before connecting.
func TestSenderChecksEveryRedirectHop(t *testing.T) {
	t.Parallel()
	var hits sync.Map
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Store(r.URL.Path, true)
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "http://127.0.0.1:"+r.URL.Query().Get("port")+"/inside", http.StatusTemporaryRedirect)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer target.Close()
	port := netip.MustParseAddrPort(target.Listener.Addr().String()).Port()
	g, err := NewGuard(GuardConfig{AllowHosts: []string{"public.example"},
		Resolver: fakeResolver{"public.example": {netip.MustParseAddr("127.0.0.1")}}})
	require.NoError(t, err)
	res := NewSender(SenderConfig{Guard: g}).Send(context.Background(),
		Outbound{URL: urlOn("public.example", port, "/start?port="+itoa(port)), Body: []byte(`{}`)})
	require.ErrorIs(t, res.Err, ErrRefusedTarget)
	assert.False(t, res.Retryable)
	_, reached := hits.Load("/inside")
	assert.False(t, reached, "the refused hop is never connected to")
}

// TestSenderRefusesHeaderInjection: a response type that is not an HTTP token
// never reaches the wire.
func TestSenderRefusesHeaderInjection(t *testing.T) {
	t.Parallel()
	rd, srv := newRedirector(t)
	for _, bad := range []string{"a\r\nX-Injected: 1", "a\nb", "two words", "quote\"", "semi;colon", "ünïcode",
		string(make([]byte, 101))} {
		res := loopbackSender(t).Send(context.Background(), Outbound{URL: srv.URL + "/final", Body: []byte(`{}`), ResponseType: bad})
		require.ErrorIs(t, res.Err, ErrInvalidArgument, "%q", bad)
		assert.False(t, res.Retryable)
		assert.ErrorIs(t, CheckResponseType("response_type", bad), ErrInvalidArgument, "%q", bad)
	}
	assert.Empty(t, rd.seen())
	for _, good := range []string{"webhook_response", "client.update-v2", "A1!#$%&'*+-.^_`|~"} {
		assert.NoError(t, CheckResponseType("response_type", good), good)
	}
}
