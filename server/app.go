package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/webhook-mcp/webhook-mcp/store"
)

// App is the program as the binary runs it: the configuration, the logger, the
// store and the server, wired once by Assemble.
type App struct {
	Config Config
	Logger *slog.Logger
	Server *Server
	store  store.Store
}

// Assemble is the one composition of the program: configuration from environ,
// a logger writing to logs (stderr: in stdio mode stdout is the protocol), the
// store, and the server. `webhook-mcp serve|stdio` and the benchmark harness
// both use it. Close releases what it opened.
func Assemble(ctx context.Context, environ []string, logs io.Writer, version string) (*App, error) {
	cfg, err := LoadConfig(environ)
	if err != nil {
		return nil, err
	}
	logger, err := NewLogger(cfg, logs)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	deps := Deps{Store: st, Logger: logger, Version: version}
	if pg, ok := st.(*store.Postgres); ok { // replicas: changes travel by LISTEN/NOTIFY
		feed, err := pg.ChangeFeed(ctx)
		if err != nil {
			return nil, errors.Join(err, st.Close())
		}
		deps.Changes = feed
	}
	srv, err := New(cfg, deps)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return &App{Config: cfg, Logger: logger, Server: srv, store: st}, nil
}

// StorePath is where the store keeps its data.
func (a *App) StorePath() string { return a.store.Path() }

// Close stops the server's background work and closes the store.
func (a *App) Close() error {
	a.Server.Shutdown()
	return a.store.Close()
}

// NewLogger writes structured logs (text or JSON, LOG_LEVEL) to w.
func NewLogger(cfg Config, w io.Writer) (*slog.Logger, error) {
	level, err := cfg.Level()
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
