package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modulePath is this module's import path.
const modulePath = "github.com/webhook-mcp/webhook-mcp"

// pkgImports is one package of the module and what it imports (not its tests).
type pkgImports struct {
	name     string   // path inside the module, e.g. server
	internal []string // packages of this module
	external []string // packages outside the module and the standard library
}

// modulePackages lists the module's packages with their imports, from go list.
func modulePackages(t *testing.T) []pkgImports {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	require.NoError(t, err, "go list")
	var pkgs []pkgImports
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, imports, _ := strings.Cut(line, "|")
		p := pkgImports{name: strings.TrimPrefix(path, modulePath+"/")}
		for _, imp := range strings.Fields(imports) {
			switch {
			case strings.HasPrefix(imp, modulePath+"/"):
				p.internal = append(p.internal, strings.TrimPrefix(imp, modulePath+"/"))
			case strings.Contains(strings.Split(imp, "/")[0], "."):
				p.external = append(p.external, imp)
			}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// importTableMarkdown is docs/architecture.md's table of who imports whom.
func importTableMarkdown(pkgs []pkgImports) string {
	importedBy := map[string][]string{}
	for _, p := range pkgs {
		for _, imp := range p.internal {
			importedBy[imp] = append(importedBy[imp], p.name)
		}
	}
	code := func(names []string) string {
		if len(names) == 0 {
			return "—"
		}
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = "`" + n + "`"
		}
		return strings.Join(out, ", ")
	}
	var b strings.Builder
	b.WriteString("| package | imports (this module) | imported by | imports (outside the standard library) |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, p := range pkgs {
		by := importedBy[p.name]
		slices.Sort(by)
		b.WriteString("| `" + p.name + "` | " + code(p.internal) + " | " + code(by) + " | " + code(p.external) + " |\n")
	}
	return b.String()
}

// TestPackageBoundaries checks the layering rules of DESIGN.md on what go list
// reports: the domain packages import neither mcp-go, the server, the store nor
// the tools; tools does not import the server; cmd imports only the server, the
// store and the API types.
func TestPackageBoundaries(t *testing.T) {
	t.Parallel()
	pkgs := modulePackages(t)
	byName := map[string]pkgImports{}
	for _, p := range pkgs {
		byName[p.name] = p
	}
	for _, domain := range []string{"webhook", "graph", "approval"} {
		p, ok := byName[domain]
		require.True(t, ok, "package %s", domain)
		for _, banned := range []string{"server", "store", "tools"} {
			assert.NotContains(t, p.internal, banned, "%s imports %s", domain, banned)
		}
		for _, ext := range p.external {
			assert.NotContains(t, ext, "mcp-go", "%s imports %s", domain, ext)
		}
	}
	assert.NotContains(t, byName["tools"].internal, "server", "tools imports server")
	for _, imp := range byName["cmd/webhook-mcp"].internal {
		assert.Contains(t, []string{"server", "store", "api"}, imp, "cmd imports %s", imp)
	}
}
