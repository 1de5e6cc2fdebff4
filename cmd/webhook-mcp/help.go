package main

import (
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/server"
)

// cliEnv is the environment of the subcommands that talk to a running server
// (approvals, deliveries). Like server.Config, its tags document it.
type cliEnv struct {
	ServerURL string `env:"WEBHOOK_MCP_URL" group:"CLI subcommands (approvals, deliveries, graph, call)" desc:"the running server the CLI subcommands talk to; unset: http://HTTP_ADDR (so http://127.0.0.1:8000 by default)"`
	Token     string `env:"APPROVAL_TOKEN" desc:"bearer token the CLI sends: the server's APPROVAL_TOKEN; unset, a CLI talking to a loopback URL reads the token the server generated into DATA_DIR"`
	DataDir   string `env:"DATA_DIR" envDefault:"./data" desc:"where the CLI finds that generated token (the server's DATA_DIR)"`
}

// documentedVars is every environment variable the binary reads, documented
// from the struct tags: the server's configuration, then the CLI's.
func documentedVars() ([]server.EnvVar, error) {
	srv, err := server.ConfigVars()
	if err != nil {
		return nil, err
	}
	cli, err := server.EnvVars(reflect.TypeFor[cliEnv]())
	if err != nil {
		return nil, err
	}
	return append(srv, cli...), nil
}

// writeHelp prints the usage and every configuration variable with its default
// and description.
func writeHelp(w io.Writer) error {
	vars, err := documentedVars()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(usage)
	b.WriteString("\nConfiguration is read from the environment (default after =); details in docs/configuration.md.\n")
	group := ""
	for _, v := range vars {
		if v.Group != group {
			group = v.Group
			fmt.Fprintf(&b, "\n%s\n", group)
		}
		b.WriteString("  " + v.Name)
		if v.Default != "" {
			b.WriteString("=" + v.Default)
		}
		b.WriteString("\n")
		for _, line := range wrapWords(v.Desc, 92) {
			b.WriteString("      " + line + "\n")
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// wrapWords breaks s into lines of at most width bytes where it can.
func wrapWords(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}
