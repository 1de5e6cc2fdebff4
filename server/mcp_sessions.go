package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/api"
)

// releaseAfterSessions is how many sessions must have ended since the last
// peak before their memory is handed back to the operating system at once
// (each holds about 12 KiB; left alone, Go returns it only after its next
// forced collection, two minutes or more later).
const releaseAfterSessions = 1000

// mcpSessions bounds what MCP clients keep in memory: it counts the live
// sessions of every transport (mcp-go's session hooks), refuses new ones
// beyond MCP_MAX_SESSIONS, and ends SSE streams idle for longer than
// MCP_SESSION_IDLE_TIMEOUT. Idle Streamable HTTP sessions are swept by mcp-go
// itself (WithSessionIdleTTL, set in New).
type mcpSessions struct {
	max  int
	idle time.Duration
	now  func() time.Time
	log  *slog.Logger
	live atomic.Int64

	mu  sync.Mutex
	sse map[string]*sseStream // session id → its open GET /sse stream
}

// sseStream is one open GET /sse stream and when its session was last used.
type sseStream struct {
	cancel   context.CancelFunc
	lastUsed atomic.Int64 // unix nanos
}

func newMCPSessions(cfg Config, now func() time.Time, log *slog.Logger) *mcpSessions {
	return &mcpSessions{max: cfg.MCPMaxSessions, idle: cfg.MCPSessionIdleTimeout, now: now, log: log,
		sse: map[string]*sseStream{}}
}

// hooks counts sessions as mcp-go registers and unregisters them.
func (m *mcpSessions) hooks() *mcpserver.Hooks {
	h := &mcpserver.Hooks{}
	h.AddOnRegisterSession(func(context.Context, mcpserver.ClientSession) { m.live.Add(1) })
	h.AddOnUnregisterSession(func(context.Context, mcpserver.ClientSession) { m.live.Add(-1) })
	return h
}

// count is the number of live sessions.
func (m *mcpSessions) count() int { return int(m.live.Load()) }

// full reports whether a new session would pass MCP_MAX_SESSIONS.
func (m *mcpSessions) full() bool { return m.max > 0 && m.live.Load() >= int64(m.max) }

type sseIDKey struct{}

// sseSessionID is the SSE transport's session id generator: the id that
// sseLimits chose for this stream.
func sseSessionID(ctx context.Context, _ *http.Request) (string, error) {
	if id, ok := ctx.Value(sseIDKey{}).(string); ok {
		return id, nil
	}
	return uuid.NewString(), nil
}

// openSSE records a new stream under id; close removes it.
func (m *mcpSessions) openSSE(id string, cancel context.CancelFunc) (close func()) {
	st := &sseStream{cancel: cancel}
	st.lastUsed.Store(m.now().UnixNano())
	m.mu.Lock()
	m.sse[id] = st
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		if m.sse[id] == st {
			delete(m.sse, id)
		}
		m.mu.Unlock()
	}
}

// touchSSE marks the SSE session id as used now.
func (m *mcpSessions) touchSSE(id string) {
	m.mu.Lock()
	st := m.sse[id]
	m.mu.Unlock()
	if st != nil {
		st.lastUsed.Store(m.now().UnixNano())
	}
}

// sweep ends the SSE streams idle since before now minus the idle timeout and
// returns how many it ended.
func (m *mcpSessions) sweep(now time.Time) int {
	if m.idle <= 0 {
		return 0
	}
	cutoff := now.Add(-m.idle).UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, st := range m.sse {
		if st.lastUsed.Load() <= cutoff {
			st.cancel()
			delete(m.sse, id)
			n++
		}
	}
	return n
}

// sweepLoop sweeps until ctx is done, several times per idle timeout, and
// after many sessions have ended returns their memory to the system.
func (m *mcpSessions) sweepLoop(ctx context.Context) {
	if m.idle <= 0 {
		return
	}
	t := time.NewTicker(min(max(m.idle/4, 100*time.Millisecond), time.Minute))
	defer t.Stop()
	peak := m.count()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.sweep(m.now())
			n := m.count()
			peak = max(peak, n)
			if peak-n >= releaseAfterSessions {
				debug.FreeOSMemory()
				m.log.Info("MCP sessions ended; memory returned to the system", "ended", peak-n, "live", n)
				peak = n
			}
		}
	}
}

// mcpLimits guards /mcp: the body is read whole under MAX_BODY_BYTES (413
// beyond), and a request that would start a session is refused with 503 while
// MCP_MAX_SESSIONS are live.
func (s *Server) mcpLimits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		creates := r.Method == http.MethodGet && r.Header.Get(mcpserver.HeaderKeySessionID) == ""
		if r.Method == http.MethodPost {
			body, ok := s.readMCPBody(w, r)
			if !ok {
				return
			}
			var msg struct {
				Method string `json:"method"`
			}
			creates = json.Unmarshal(body, &msg) == nil && msg.Method == "initialize"
		}
		if creates && s.sessions.full() {
			writeTooManySessions(w, s.sessions.max)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sseLimits guards GET /sse (a stream is a session: 503 at MCP_MAX_SESSIONS,
// ended when idle) and POST /message (MAX_BODY_BYTES, and it marks the
// session as used).
func (s *Server) sseLimits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost:
			if _, ok := s.readMCPBody(w, r); !ok {
				return
			}
			s.sessions.touchSSE(r.URL.Query().Get("sessionId"))
		case r.Method == http.MethodGet && r.URL.Path == "/sse":
			if s.sessions.full() {
				writeTooManySessions(w, s.sessions.max)
				return
			}
			id := uuid.NewString()
			ctx, cancel := context.WithCancel(context.WithValue(r.Context(), sseIDKey{}, id))
			defer cancel()
			defer s.sessions.openSSE(id, cancel)()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// readMCPBody reads an MCP POST body under MAX_BODY_BYTES and puts it back
// for the transport; beyond the limit it answers 413 payload_too_large.
func (s *Server) readMCPBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.ContentLength > s.cfg.MaxBodyBytes {
		writeError(w, "", api.CodePayloadTooLarge, "body is larger than MAX_BODY_BYTES")
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, "", api.CodePayloadTooLarge, "body is larger than MAX_BODY_BYTES")
		} else {
			writeError(w, "", api.CodeInvalidPayload, "could not read the body")
		}
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

func writeTooManySessions(w http.ResponseWriter, limit int) {
	w.Header().Set("Retry-After", "60")
	writeError(w, "", api.CodeTooManySessions, "this server already holds "+strconv.Itoa(limit)+
		" MCP sessions (MCP_MAX_SESSIONS); retry later")
}
