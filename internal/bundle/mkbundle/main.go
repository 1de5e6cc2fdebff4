// Command mkbundle builds the release files into dist/ (`make mcpb`): one
// Claude Desktop bundle per platform, webhook-mcp-<os>-<arch>.mcpb, their
// SHA256SUMS, and server.json, the MCP Registry entry that lists them, checked
// against the registry's schema before it is written.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/internal/bundle"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkbundle:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("mkbundle", flag.ContinueOnError)
	version := fs.String("version", "dev", "build version (git describe); the manifest and server.json get its semantic form")
	out := fs.String("out", "dist", "output directory")
	platforms := fs.String("platforms", "", "space- or comma-separated os/arch list (default: "+platformList(bundle.DefaultPlatforms)+")")
	schema := fs.String("schema", "testdata/mcp-registry/server.schema.json", "server.json schema to validate against")
	if err := fs.Parse(args); err != nil {
		return err
	}
	targets, err := parsePlatforms(*platforms)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mkbundle-tools")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tools, err := bundle.RegistryTools(ctx, tmp)
	if err != nil {
		return err
	}
	artifacts, err := bundle.Build(ctx, bundle.BuildOptions{Root: ".", Version: *version, Platforms: targets,
		OutDir: *out, Tools: tools, Log: os.Stdout})
	if err != nil {
		return err
	}
	var sums strings.Builder
	for _, a := range artifacts {
		fmt.Fprintf(&sums, "%s  %s\n", a.SHA256, filepath.Base(a.Path))
	}
	if err := os.WriteFile(filepath.Join(*out, "SHA256SUMS"), []byte(sums.String()), 0o644); err != nil {
		return fmt.Errorf("write SHA256SUMS: %w", err)
	}
	doc, err := bundle.ServerJSON(bundle.SemVer(*version), artifacts)
	if err != nil {
		return err
	}
	if err := bundle.ValidateServerJSON(*schema, doc); err != nil {
		return err
	}
	path := filepath.Join(*out, "server.json")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Printf("wrote %s (valid against %s)\n", path, *schema)
	return nil
}

func parsePlatforms(s string) ([]bundle.Platform, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	if len(fields) == 0 {
		return bundle.DefaultPlatforms, nil
	}
	out := make([]bundle.Platform, 0, len(fields))
	for _, f := range fields {
		p, err := bundle.ParsePlatform(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func platformList(ps []bundle.Platform) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, " ")
}
