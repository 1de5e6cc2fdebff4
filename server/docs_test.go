package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// registeredPatterns reads routes.go and returns the pattern of every
// mux.Handle / mux.HandleFunc call in it, e.g. "GET /api/status".
func registeredPatterns(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "routes.go", nil, 0)
	require.NoError(t, err)
	var patterns []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		require.True(t, ok && lit.Kind == token.STRING, "routes.go:%v: a route pattern that is not a string literal",
			call.Pos())
		p, err := strconv.Unquote(lit.Value)
		require.NoError(t, err)
		patterns = append(patterns, p)
		return true
	})
	// A routes.go rewritten to register its routes some other way must not let
	// this test pass with nothing to check.
	require.GreaterOrEqual(t, len(patterns), 10, "routes.go no longer registers routes with mux.Handle/HandleFunc")
	return patterns
}

// docRoute is one row of the route table in docs/http-api.md.
type docRoute struct {
	methods []string // e.g. GET, POST; "any" for every method
	path    string
	line    int
}

// documentedRoutes reads the route table of docs/http-api.md: rows like
// "| GET | `/api/status` | ...".
func documentedRoutes(t *testing.T) []docRoute {
	t.Helper()
	raw, err := os.ReadFile("../docs/http-api.md")
	require.NoError(t, err)
	row := regexp.MustCompile("^\\| ((?:GET|POST|PUT|PATCH|DELETE|any)(?:, (?:GET|POST|PUT|PATCH|DELETE))*) \\| `(/[^`]*)` \\|")
	var out []docRoute
	for i, line := range strings.Split(string(raw), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			out = append(out, docRoute{methods: strings.Split(m[1], ", "), path: m[2], line: i + 1})
		}
	}
	require.NotEmpty(t, out, "no route table in docs/http-api.md")
	return out
}

// TestEveryRouteIsDocumented fails when routes.go registers a route that the
// route table of docs/http-api.md does not list with its method, or when the
// table lists a route that is not registered.
func TestEveryRouteIsDocumented(t *testing.T) {
	t.Parallel()
	docs := documentedRoutes(t)
	patterns := registeredPatterns(t)
	for _, p := range patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			method, path = "", p
		}
		found := slices.ContainsFunc(docs, func(d docRoute) bool {
			return d.path == path && (method == "" || slices.Contains(d.methods, method) || slices.Contains(d.methods, "any"))
		})
		if !found {
			t.Errorf("route %q (server/routes.go) is not in the route table of docs/http-api.md", p)
		}
	}
	for _, d := range docs {
		found := slices.ContainsFunc(patterns, func(p string) bool {
			method, path, ok := strings.Cut(p, " ")
			if !ok {
				return p == d.path
			}
			return path == d.path && slices.Contains(d.methods, method)
		})
		if !found {
			t.Errorf("docs/http-api.md:%d lists %v %s, which server/routes.go does not register", d.line, d.methods, d.path)
		}
	}
}

// TestReadmeListsEveryTool fails when the tool table of README.md misses a
// registered tool, lists one that is not registered, or says read-only,
// idempotent or open-world where the tool's annotations say otherwise.
func TestReadmeListsEveryTool(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	row := regexp.MustCompile("^\\| `([a-z_]+)\\(.*\\)` \\| .* \\| (yes|no) \\| (yes|no) \\| (yes|no) \\|$")
	documented := map[string][3]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			documented[m[1]] = [3]string{m[2], m[3], m[4]}
		}
	}
	yesNo := func(b *bool) string {
		if b != nil && *b {
			return "yes"
		}
		return "no"
	}
	e := newTestEnv(t, testConfig())
	tools := e.srv.MCPServer().ListTools()
	require.NotEmpty(t, tools)
	for name, st := range tools {
		a := st.Tool.Annotations
		if assert.Contains(t, documented, name, "tool %s is not in README.md's tool table", name) {
			assert.Equal(t, [3]string{yesNo(a.ReadOnlyHint), yesNo(a.IdempotentHint), yesNo(a.OpenWorldHint)},
				documented[name], "README.md's read-only, idempotent, open-world columns for %s", name)
		}
	}
	for name := range documented {
		assert.Contains(t, tools, name, "README.md's tool table lists %s, which is not registered", name)
	}
}
