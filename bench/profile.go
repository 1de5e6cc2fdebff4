package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/webhook-mcp/webhook-mcp/server"
)

// serveProfiled wires the product with the binary's own composition
// (server.Assemble, then Start and Serve) and writes
// a CPU profile of the whole process until SIGTERM. It exists only in this
// harness: the product has no profiling endpoint.
func serveProfiled(ctx context.Context, args []string) error {
	if len(args) != 2 || args[0] != "-cpuprofile" {
		return fmt.Errorf("usage: bench serve-profiled -cpuprofile FILE")
	}
	app, err := server.Assemble(ctx, os.Environ(), os.Stderr, "bench")
	if err != nil {
		return err
	}
	defer app.Close()
	srv, cfg := app.Server, app.Config
	f, err := os.Create(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	srv.Start(ctx)
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	return srv.Serve(ctx, ln)
}

// runProfile drives the profiled server with the closed loop on one payload
// and prints the top of the CPU profile.
func runProfile(ctx context.Context, args []string) error {
	cfg, fs, err := parseConfig("profile", args[:0])
	if err != nil {
		return err
	}
	dur := fs.Duration("duration", 8*time.Second, "closed-loop duration under the profiler")
	which := fs.String("payload", "clickup", "seed or clickup")
	suite := fs.String("suite", "webhook", "webhook, mcp (extract_client_knowledge_graph with -payload) or mcp-status (get_approval_status)")
	out := fs.String("cpuprofile", "bin/cpu-webhook.pprof", "where the profile is written")
	if err := fs.Parse(args); err != nil {
		return err
	}
	payloads, err := loadPayloads(cfg.TestData)
	if err != nil {
		return err
	}
	var pl payload
	for _, p := range payloads {
		if p.name == *which {
			pl = p
		}
	}
	if pl.body == nil {
		return fmt.Errorf("-payload %q: want seed or clickup", *which)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "webhook-mcp-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	prof, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	secret := "bench-" + randHex(16)
	p, err := startProc(ctx, "serve-profiled", []string{self, "serve-profiled", "-cpuprofile", prof},
		productEnv(addr, filepath.Join(tmp, "data"), secret), addr, filepath.Join(tmp, "server.log"))
	if err != nil {
		return err
	}
	client := newClient()
	var r requester = newWebhookTarget(client, p.base, pl.body, secret, "profile-"+randHex(4)+"-")
	if *suite == "mcp" || *suite == "mcp-status" {
		if r, err = profiledMCPTarget(ctx, client, p.base, *suite, pl.body, cfg.Sessions); err != nil {
			p.stop()
			return err
		}
	}
	var seq atomic.Int64
	s := closedLoop(ctx, r, &seq, cfg.Conns, *dur)
	p.stop()
	ph := newPhase(*suite, "webhook-mcp", p.name, pl.name, "closed", cfg.Conns, 0, *dur, s, p.peakKiB)
	fmt.Printf("%s %s closed c=%d under the profiler: %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d\n",
		*suite, pl.name, cfg.Conns, ph.Throughput, ph.Latency.P50, ph.Latency.P99, ph.Errors)
	fmt.Printf("profile: %s\n\n", prof)
	for _, mode := range []string{"-top", "-top -cum"} {
		argv := append([]string{"tool", "pprof"}, strings.Fields(mode)...)
		cmd := exec.CommandContext(ctx, "go", append(argv, "-nodecount=30", prof)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return err
		}
		fmt.Println()
	}
	return nil
}

// profiledMCPTarget is the MCP scenario the profile drives: extraction of the
// payload, or get_approval_status of an approval created first.
func profiledMCPTarget(ctx context.Context, client *http.Client, base, suite string, body []byte, sessions int) (requester, error) {
	s, err := newMCPSessions(ctx, client, base, sessions)
	if err != nil {
		return nil, err
	}
	if suite == "mcp" {
		return newMCPTarget(s, extractTool, extractArgs(body)), nil
	}
	id, err := createApproval(ctx, s, 1<<40)
	if err != nil {
		return nil, err
	}
	return newMCPTarget(s, statusTool, approvalArgs(id)), nil
}
