package server

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
)

// Start runs the background work: executing approved requests, expiring
// overdue ones, pruning the inbox, and telling MCP sessions what changed
// (live.go). Shutdown stops it.
func (s *Server) Start(ctx context.Context) {
	ctx, s.bgCancel = context.WithCancel(ctx)
	if s.deps.Store.Kind() == "sqlite" { // this process owns the file alone
		if n, err := s.deps.Store.AbandonInFlight(ctx, s.registry.Owner()); err != nil {
			s.log.Error("release the in-flight calls of the previous run", "err", err)
		} else if n > 0 {
			s.log.Warn("released calls the previous run left in flight; their repeats run again", "count", n)
		}
	}
	s.startLive(ctx)
	s.bgDone.Add(2)
	go func() { defer s.bgDone.Done(); s.approvals.Run(ctx, s.registry) }()
	go func() { defer s.bgDone.Done(); s.pruneLoop(ctx) }()
	s.bgDone.Add(1)
	go func() { defer s.bgDone.Done(); s.sessions.sweepLoop(ctx) }()
	s.watchDue(ctx)
	for rt := range s.sources.all() {
		if !s.sources.credentialsFor(rt.Source).Configured() || !s.cfg.ValidationEnabled {
			s.log.Warn("webhook source is unsigned: requests are accepted without a signature or API key",
				"source", rt.Source, "path", rt.Path)
		}
	}
	if s.review.tokenFile != "" {
		s.log.Info("APPROVAL_TOKEN is not set: the approvals page, API and CLI use the token kept in DATA_DIR",
			"file", s.review.tokenFile)
	}
	s.ready.Store(true)
}

// Serve serves HTTP on ln until ctx is done, then shuts down gracefully. The
// listener is capped by MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP, and every
// connection by the HTTP_*_TIMEOUT deadlines.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// ReadTimeout bounds headers and body only: net/http clears the read
	// deadline once the body is read, so MCP streams and long calls are not cut.
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: headerTimeout(s.cfg.HTTPReadTimeout),
		ReadTimeout: s.cfg.HTTPReadTimeout, IdleTimeout: s.cfg.HTTPIdleTimeout, ConnContext: connContext,
		ErrorLog: log.New(io.Discard, "", 0)}
	if s.cfg.MaxConnections > 0 || s.cfg.MaxConnectionsPerIP > 0 {
		lim := newConnLimiter(ln, s.cfg.MaxConnections, s.cfg.MaxConnectionsPerIP, s.log, s.metrics.connectionShed)
		s.metrics.trackConnections(lim.open)
		srv.ConnState = lim.connState
		ln = lim
	}
	s.listenAddr.Store(ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("http listening", "addr", ln.Addr().String(), "mcp", "/mcp", "sse", "/sse",
		"webhook", "/api/webhook/"+DefaultSource+"/"+DefaultRoute)
	s.logSignInLink(ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return s.shutdownHTTP(srv)
}

// headerTimeout bounds reading request headers: 10 s, or HTTP_READ_TIMEOUT
// when that is shorter.
func headerTimeout(read time.Duration) time.Duration {
	if read > 0 && read < 10*time.Second {
		return read
	}
	return 10 * time.Second
}

// shutdownHTTP closes MCP sessions, then drains HTTP requests in flight for up
// to the webhook timeout plus a margin.
func (s *Server) shutdownHTTP(srv *http.Server) error {
	s.draining.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout()+5*time.Second)
	defer cancel()
	s.awaitWebhooks(ctx) // meanwhile the listener stays open: new webhooks get 503 shutting_down
	s.sse.CloseSessions()
	if err := s.streamable.Shutdown(ctx); err != nil {
		s.log.Warn("close MCP sessions", "err", err)
	}
	err := srv.Shutdown(ctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s.log.Info("http stopped")
	return err
}

// ServeStdio serves MCP over in/out until in closes or ctx is done. Only
// protocol messages are written to out.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	s.stdioSessions.Add(1)
	defer s.stdioSessions.Add(-1)
	std := mcpserver.NewStdioServer(s.mcp)
	std.SetErrorLogger(slogWriterLogger(s.log))
	// Whoever started this process owns the stdio client: its answers to
	// in-client confirmations decide.
	std.SetContextFunc(func(ctx context.Context) context.Context {
		return ContextWithPrincipal(ctx, Principal{ID: PrincipalLocal, MayApprove: true})
	})
	err := std.Listen(ctx, in, out)
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// Shutdown stops the background work, waiting for deliveries in flight.
func (s *Server) Shutdown() {
	s.draining.Store(true)
	if s.bgCancel != nil {
		s.bgCancel()
	}
	s.bgDone.Wait()
}

func (s *Server) pruneLoop(ctx context.Context) {
	if s.cfg.InboxRetention <= 0 {
		return
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := s.deps.Store.PruneEvents(ctx, s.deps.Now().Add(-s.cfg.InboxRetention))
		if err != nil && ctx.Err() == nil {
			s.log.Error("prune inbox", "err", err)
		} else if n > 0 {
			s.log.Info("pruned inbox", "deleted", n, "retention", s.cfg.InboxRetention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
