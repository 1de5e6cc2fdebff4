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
	ServerURL string `env:"WEBHOOK_MCP_URL" envDefault:"http://127.0.0.1:8000" group:"CLI subcommands (approvals, deliveries)" desc:"the running server the approvals and deliveries subcommands talk to"`
	Token     string `env:"APPROVAL_TOKEN" desc:"bearer token the CLI sends: the server's APPROVAL_TOKEN"`
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

// envTableMarkdown is the README's table: every variable once, in one table.
func envTableMarkdown(vars []server.EnvVar) string {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n|---|---|---|\n")
	seen := map[string]bool{}
	for _, v := range vars {
		if seen[v.Name] {
			continue
		}
		seen[v.Name] = true
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, mdDefault(v.Default), mdText(v.Desc))
	}
	return b.String()
}

// envSectionsMarkdown is docs/configuration.md's tables: one section per group.
func envSectionsMarkdown(vars []server.EnvVar) string {
	var b strings.Builder
	group := ""
	for _, v := range vars {
		if v.Group != group {
			if group != "" {
				b.WriteString("\n")
			}
			group = v.Group
			fmt.Fprintf(&b, "### %s\n\n| variable | default | kind | meaning |\n|---|---|---|---|\n", group)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, mdDefault(v.Default), v.Kind, mdText(v.Desc))
	}
	return b.String()
}

func mdDefault(d string) string {
	if d == "" {
		return "—"
	}
	return "`" + d + "`"
}

// mdText sets in code the words of a description that are code: names of
// variables and fields, paths, URLs, host:port values, patterns.
func mdText(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		lead, core, trail := splitPunct(w)
		if strings.ContainsAny(core, "_/:*<>=") && core != "/" {
			words[i] = lead + "`" + core + "`" + trail
		}
	}
	return strings.Join(words, " ")
}

// splitPunct separates an opening parenthesis and closing punctuation from a word.
func splitPunct(w string) (lead, core, trail string) {
	core = w
	if strings.HasPrefix(core, "(") {
		lead, core = "(", core[1:]
	}
	if c, ok := strings.CutSuffix(core, "'s"); ok {
		core, trail = c, "'s"
	}
	end := len(core)
	for end > 0 && strings.ContainsRune(",;:.)", rune(core[end-1])) {
		if core[end-1] == ')' && strings.Contains(core[:end-1], "(") {
			break
		}
		end--
	}
	return lead, core[:end], core[end:] + trail
}
