package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// registeredPatterns reads routes.go and returns the pattern of every
// mux.Handle / mux.HandleFunc call in it, e.g. "GET /api/status". A pattern
// may be a string literal or a string constant of the package.
func registeredPatterns(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	consts := packageStringConsts(t, fset)
	f, err := parser.ParseFile(fset, "routes.go", nil, 0)
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
		var p string
		switch arg := call.Args[0].(type) {
		case *ast.BasicLit:
			require.Equal(t, token.STRING, arg.Kind, "routes.go:%v", fset.Position(arg.Pos()))
			p, err = strconv.Unquote(arg.Value)
			require.NoError(t, err)
		case *ast.Ident:
			p, ok = consts[arg.Name]
			require.True(t, ok, "routes.go:%v: add the value of %s to computedPatterns in this test",
				fset.Position(arg.Pos()), arg.Name)
		default:
			t.Fatalf("routes.go:%v: a route pattern that is neither a string literal nor a constant", fset.Position(arg.Pos()))
		}
		patterns = append(patterns, p)
		return true
	})
	// A routes.go rewritten to register its routes some other way must not let
	// this test pass with nothing to check.
	require.GreaterOrEqual(t, len(patterns), 10, "routes.go no longer registers routes with mux.Handle/HandleFunc")
	return patterns
}

// computedPatterns are the route constants whose value is not a literal (it
// is built from mcp-go's constants); the parser cannot read them.
func computedPatterns() map[string]string {
	return map[string]string{
		"resourceMetadataPath":    resourceMetadataPath,
		"resourceMetadataMCPPath": resourceMetadataMCPPath,
	}
}

// packageStringConsts returns the string constants declared with a literal
// value in the package's non-test files, and computedPatterns.
func packageStringConsts(t *testing.T, fset *token.FileSet) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	consts := computedPatterns()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[id.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	return consts
}

// docRoute is one row of the route table in docs/http-api.md.
type docRoute struct {
	methods []string // e.g. GET, POST; "any" for every method
	path    string
	line    int
}

// documentedRoutes reads the route table of docs/http-api.md: rows like
// "| GET | `/api/status` | ..." (a row may name several paths, comma-separated).
func documentedRoutes(t *testing.T) []docRoute {
	t.Helper()
	raw, err := os.ReadFile("../docs/http-api.md")
	require.NoError(t, err)
	row := regexp.MustCompile("^\\| ((?:GET|POST|PUT|PATCH|DELETE|any)(?:, (?:GET|POST|PUT|PATCH|DELETE))*) \\| " +
		"(`/[^`]*`(?:, `/[^`]*`)*) \\|")
	var out []docRoute
	for i, line := range strings.Split(string(raw), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			for _, path := range strings.Split(m[2], ", ") {
				out = append(out, docRoute{methods: strings.Split(m[1], ", "), path: strings.Trim(path, "`"), line: i + 1})
			}
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
