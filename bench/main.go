// Command bench is the load harness behind `make bench`: it measures the
// webhook endpoint and MCP tools/call of webhook-mcp against bare baselines on
// this machine, in one run, and prints and records the table with the ratios.
//
//	bench run [flags]       the whole suite (what `make bench` runs)
//	bench profile [flags]   CPU profile of the webhook path under closed-loop load
//	bench baseline-http     bare net/http webhook handler (run by `bench run`)
//	bench baseline-mcp      mcp-go server with trivial tools of the measured names (run by `bench run`)
//	bench serve-profiled    the product's server wired like `webhook-mcp serve`, with a CPU profile (run by `bench profile`)
//
// Every server listens on 127.0.0.1 only, every phase is bounded in time and
// the run stops by itself.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, args := "run", os.Args[1:]
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = runSuite(ctx, args)
	case "profile":
		err = runProfile(ctx, args)
	case "baseline-http":
		err = serveBaselineHTTP(ctx, args)
	case "baseline-mcp":
		err = serveBaselineMCP(ctx, args)
	case "serve-profiled":
		err = serveProfiled(ctx, args)
	default:
		err = fmt.Errorf("unknown command %q: want run, profile, baseline-http, baseline-mcp or serve-profiled", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
