package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// baselineMaxBody matches webhook-mcp's default MAX_BODY_BYTES.
const baselineMaxBody = 1 << 20

// serveBaselineHTTP serves the ceiling for any Go webhook endpoint here: read
// the body, decode the JSON, write a small JSON reply.
func serveBaselineHTTP(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("baseline-http", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", okHandler)
	mux.HandleFunc("GET /readyz", okHandler)
	mux.HandleFunc("POST /api/webhook/{source}/{route}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, baselineMaxBody))
		if err != nil {
			http.Error(w, `{"status":"error"}`, http.StatusBadRequest)
			return
		}
		var payload map[string]any
		if err := json.Unmarshal(body, &payload); err != nil {
			http.Error(w, `{"status":"error"}`, http.StatusBadRequest)
			return
		}
		clientID, _ := payload["client_id"].(string)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "processed", "client_id": clientID})
	})
	return serveUntilDone(ctx, *addr, mux)
}

// serveBaselineMCP serves a bare mcp-go server over Streamable HTTP at /mcp
// with trivial tools under the names the harness calls: the ceiling of any
// mcp-go server here, for the product's read-only and extraction tools.
func serveBaselineMCP(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("baseline-mcp", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return serveUntilDone(ctx, *addr, baselineMCPHandler())
}

// baselineMCPHandler is the bare mcp-go server's HTTP handler.
func baselineMCPHandler() http.Handler {
	s := mcpserver.NewMCPServer("baseline", "1", mcpserver.WithToolCapabilities(false))
	trivial := func(_ context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(`{"status":"ok"}`), nil
	}
	s.AddTool(mcp.NewTool(extractTool, mcp.WithDescription("trivial baseline tool"),
		mcp.WithObject("webhook_data", mcp.Description("payload"))), trivial)
	s.AddTool(mcp.NewTool(statusTool, mcp.WithDescription("trivial baseline read-only tool"),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithString("approval_id", mcp.Required(), mcp.Description("approval id"))), trivial)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", okHandler)
	mux.HandleFunc("GET /readyz", okHandler)
	mux.Handle("/mcp", mcpserver.NewStreamableHTTPServer(s, mcpserver.WithEndpointPath("/mcp")))
	return mux
}

func okHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"ok"}`)
}

// serveUntilDone serves h on addr until ctx ends (SIGTERM from the harness).
func serveUntilDone(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
