package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Connection phases, in the order they are shed to make room for a new
// connection: idle between requests first (the client just reconnects), then
// still sending its body (a slow upload has had its turn), then new or still
// sending its headers (possibly a request that has not been read yet). A busy
// connection (its handler runs on a fully read request) is never shed.
const (
	phaseIdle int32 = iota
	phaseBody
	phaseNew
	phaseBusy
)

// connLimiter is a net.Listener that caps open connections, in total
// (MAX_CONNECTIONS) and per client IP (MAX_CONNECTIONS_PER_IP). When a new
// connection would pass a cap, a waiting connection of that scope is closed to
// make room — the first in shedding order (see the phases), the longest in its
// phase among equals: idle and slow clients are dropped, so /healthz and new
// webhooks keep being answered. When every connection is busy, the new one is
// closed at once.
type connLimiter struct {
	net.Listener
	total, perIP int
	log          *slog.Logger
	onShed       func(reason string) // "evicted" or "refused"; may be nil
	lastWarn     atomic.Int64        // unix nanos of the last "limit reached" log line

	mu    sync.Mutex
	conns map[*limitedConn]struct{}
	byIP  map[string]int
}

// limitedConn is a connection admitted by a connLimiter.
type limitedConn struct {
	net.Conn
	l     *connLimiter
	ip    string
	phase atomic.Int32
	since atomic.Int64 // unix nanos when the current phase began
	gone  bool         // released; under l.mu
}

func newConnLimiter(ln net.Listener, total, perIP int, log *slog.Logger, onShed func(string)) *connLimiter {
	return &connLimiter{Listener: ln, total: total, perIP: perIP, log: log, onShed: onShed,
		conns: map[*limitedConn]struct{}{}, byIP: map[string]int{}}
}

// Accept returns the next connection that fits under the caps.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		lc, victim := l.admit(c)
		if victim != nil {
			_ = victim.Conn.Close()
			l.shed("evicted")
		}
		if lc != nil {
			return lc, nil
		}
		_ = c.Close()
		l.shed("refused")
	}
}

// admit registers c, choosing a waiting connection to shed when a cap is
// reached; it returns nil when there is no room.
func (l *connLimiter) admit(c net.Conn) (admitted, victim *limitedConn) {
	ip := peerIP(c.RemoteAddr())
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perIP > 0 && l.byIP[ip] >= l.perIP {
		if victim = l.oldestWaiting(ip); victim == nil {
			return nil, nil
		}
		l.releaseLocked(victim)
	}
	if l.total > 0 && len(l.conns) >= l.total {
		if victim = l.oldestWaiting(""); victim == nil {
			return nil, nil
		}
		l.releaseLocked(victim)
	}
	lc := &limitedConn{Conn: c, l: l, ip: ip}
	lc.phase.Store(phaseNew)
	lc.since.Store(time.Now().UnixNano())
	l.conns[lc] = struct{}{}
	l.byIP[ip]++
	return lc, victim
}

// oldestWaiting is the connection (of ip, or of anyone when ip is "") to shed
// first: the earliest phase in shedding order, and within it the one that has
// been in it longest; nil when every one is busy.
func (l *connLimiter) oldestWaiting(ip string) *limitedConn {
	var victim *limitedConn
	var vPhase int32
	var vSince int64
	for c := range l.conns {
		p := c.phase.Load()
		if p == phaseBusy || (ip != "" && c.ip != ip) {
			continue
		}
		t := c.since.Load()
		if victim == nil || p < vPhase || (p == vPhase && t < vSince) {
			victim, vPhase, vSince = c, p, t
		}
	}
	return victim
}

func (l *connLimiter) releaseLocked(c *limitedConn) {
	if c.gone {
		return
	}
	c.gone = true
	delete(l.conns, c)
	if l.byIP[c.ip]--; l.byIP[c.ip] <= 0 {
		delete(l.byIP, c.ip)
	}
}

func (l *connLimiter) release(c *limitedConn) {
	l.mu.Lock()
	l.releaseLocked(c)
	l.mu.Unlock()
}

// open is the number of admitted connections.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func (l *connLimiter) shed(reason string) {
	if l.onShed != nil {
		l.onShed(reason)
	}
	now := time.Now().UnixNano()
	if last := l.lastWarn.Load(); now-last >= int64(time.Minute) && l.lastWarn.CompareAndSwap(last, now) {
		l.log.Warn("connection limit reached: dropping waiting connections", "max_connections", l.total,
			"max_connections_per_ip", l.perIP, "first", reason)
	}
}

// connState follows the server's view of each connection (http.Server.ConnState).
func (l *connLimiter) connState(c net.Conn, st http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	switch st {
	case http.StateNew, http.StateActive: // reading a request's headers
		lc.setPhase(phaseNew)
	case http.StateIdle:
		lc.setPhase(phaseIdle)
	case http.StateHijacked, http.StateClosed:
		l.release(lc)
	}
}

// Close releases the connection's place and closes it.
func (c *limitedConn) Close() error {
	c.l.release(c)
	return c.Conn.Close()
}

func (c *limitedConn) setPhase(p int32) {
	if c == nil {
		return
	}
	c.since.Store(time.Now().UnixNano())
	c.phase.Store(p)
}

type connKey struct{}

// connContext puts the limited connection into every request's context
// (http.Server.ConnContext), where connDeadlines marks it busy.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitedConn); ok {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

// peerIP is the IP of a remote address, or the address itself.
func peerIP(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// connDeadlines bounds each write of a response by HTTP_WRITE_TIMEOUT
// (reading the request is bounded by the server's ReadTimeout), and marks the
// connection busy, never to be shed, once its request is fully read.
func (s *Server) connDeadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lc, _ := r.Context().Value(connKey{}).(*limitedConn)
		if r.Body != nil && r.Body != http.NoBody {
			lc.setPhase(phaseBody)
			r.Body = &busyAtEOF{ReadCloser: r.Body, conn: lc}
		} else {
			lc.setPhase(phaseBusy)
		}
		if d := s.cfg.HTTPWriteTimeout; d > 0 {
			rc := http.NewResponseController(w)
			_ = rc.SetWriteDeadline(time.Now().Add(d))
			w = &deadlineWriter{ResponseWriter: w, rc: rc, d: d}
			defer func() { _ = rc.SetWriteDeadline(time.Now().Add(d)) }() // for the final flush
		}
		next.ServeHTTP(w, r)
	})
}

// busyAtEOF marks its connection busy once the body has been read to its end.
type busyAtEOF struct {
	io.ReadCloser
	conn *limitedConn
	once sync.Once
}

func (b *busyAtEOF) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(func() { b.conn.setPhase(phaseBusy) })
	}
	return n, err
}

// deadlineWriter moves the write deadline before every write and flush, so
// that a client that stops reading is dropped after HTTP_WRITE_TIMEOUT while
// a stream that is merely quiet is not.
type deadlineWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
}

func (w *deadlineWriter) extend() { _ = w.rc.SetWriteDeadline(time.Now().Add(w.d)) }

// WriteHeader implements http.ResponseWriter.
func (w *deadlineWriter) WriteHeader(code int) {
	w.extend()
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(p)
}

// Flush implements http.Flusher, which the MCP streams need.
func (w *deadlineWriter) Flush() {
	w.extend()
	_ = w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
