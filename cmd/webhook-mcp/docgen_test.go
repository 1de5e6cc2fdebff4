package main

import (
	"fmt"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/server"
)

// The markdown renderers of the configuration tables: only make docs and the
// tests that compare the committed docs need them, so they are not in the
// binary.

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
