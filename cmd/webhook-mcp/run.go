package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/webhook-mcp/webhook-mcp/server"
)

const usage = `webhook-mcp: an MCP server and a Make.com webhook receiver in one binary.

Usage:
  webhook-mcp serve     serve HTTP on HTTP_ADDR: /api/webhook/{source}/{route}, /mcp, /sse, /api/status
  webhook-mcp stdio     serve MCP on stdin/stdout (Claude Desktop) and the same HTTP listener
  webhook-mcp approvals list|show|approve|reject
                        review approval requests on a running server (WEBHOOK_MCP_URL, APPROVAL_TOKEN, or
                        on the server's machine DATA_DIR's generated token); see webhook-mcp approvals help
  webhook-mcp deliveries list|show|retry
                        follow outbound deliveries and resend dead letters on a running server
  webhook-mcp migrate-store --from sqlite://… --to postgres://…
                        copy a SQLite store into an empty PostgreSQL database
  webhook-mcp graph export|import
                        a client's knowledge graph as the MCP memory server's JSONL file, and back
  webhook-mcp call <tool> [--arg key=value ...] [--json '{...}']
                        call a tool on a running server over MCP and print its result as JSON;
                        see webhook-mcp call help
  webhook-mcp version   print the version
  webhook-mcp help      print this help and every configuration variable with its default
`

// errUsage marks a command-line mistake.
var errUsage = errors.New("usage")

// run is the whole program: testable end to end with its own environment and streams.
func run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "help", "-h", "--help":
		return writeHelp(stdout)
	case "version", "--version":
		_, err := fmt.Fprintf(stdout, "webhook-mcp %s\n", version)
		return err
	case "approvals":
		return runApprovals(ctx, args[1:], environ, stdout, stderr)
	case "deliveries":
		return runDeliveries(ctx, args[1:], environ, stdout, stderr)
	case "migrate-store":
		return runMigrateStore(ctx, args[1:], stdout, stderr)
	case "graph":
		return runGraph(ctx, args[1:], environ, stdin, stdout, stderr)
	case "call":
		return runCall(ctx, args[1:], environ, stdin, stdout, stderr)
	case "serve", "stdio":
	default:
		_, _ = io.WriteString(stderr, usage+"\nwebhook-mcp help also lists the configuration variables.\n")
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	app, err := server.Assemble(ctx, environ, stderr, version)
	if err != nil {
		return err
	}
	defer app.Close()
	srv, cfg, logger := app.Server, app.Config, app.Logger
	logger.Info("starting", "version", version, "mode", cmd, "store", app.StorePath())
	srv.Start(ctx)
	if cmd == "stdio" {
		return runStdio(ctx, srv, cfg, logger, stdin, stdout)
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_ADDR=%s: %w", cfg.HTTPAddr, err)
	}
	return srv.Serve(ctx, ln)
}

// runStdio serves MCP on stdin/stdout; the HTTP listener runs beside it when its
// port is free, and a taken port is only a warning.
func runStdio(ctx context.Context, srv *server.Server, cfg server.Config, logger *slog.Logger, stdin io.Reader, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	httpDone := make(chan error, 1)
	if ln, err := net.Listen("tcp", cfg.HTTPAddr); err != nil {
		logger.Warn("HTTP listener not started; serving stdio only", "addr", cfg.HTTPAddr, "err", err)
		close(httpDone)
	} else {
		go func() { httpDone <- srv.Serve(ctx, ln) }()
	}
	err := srv.ServeStdio(ctx, stdin, stdout)
	cancel()
	if herr := <-httpDone; herr != nil && err == nil {
		err = herr
	}
	return err
}
