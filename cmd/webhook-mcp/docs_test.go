package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the generated blocks of README.md and docs/*.md (make docs)")

// generatedDocs are the blocks of the docs generated from the struct tags.
func generatedDocs(t *testing.T) []struct{ file, block, want string } {
	t.Helper()
	vars, err := documentedVars()
	require.NoError(t, err, "every env field needs a one-line desc tag")
	return []struct{ file, block, want string }{
		{"README.md", "env-table", envTableMarkdown(vars)},
		{"docs/configuration.md", "env-sections", envSectionsMarkdown(vars)},
		{"docs/architecture.md", "imports", importTableMarkdown(modulePackages(t))},
	}
}

// TestDocsAreGenerated fails when a committed configuration table differs from
// the one generated from server.Config and cliEnv (an undocumented or no longer
// existing variable, a changed default or description), or the import table of
// docs/architecture.md from what go list reports. `make docs` rewrites them.
func TestDocsAreGenerated(t *testing.T) {
	t.Parallel()
	for _, g := range generatedDocs(t) {
		path := filepath.Join("..", "..", g.file)
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		if *update {
			got, err := replaceBlock(string(raw), g.block, g.want)
			require.NoError(t, err, g.file)
			require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			continue
		}
		committed, err := block(string(raw), g.block)
		require.NoError(t, err, g.file)
		if committed != g.want {
			t.Errorf("%s differs from what make docs generates (env struct tags, go list); run make docs.\n%s", g.file, lineDiff(committed, g.want))
		}
	}
}

// TestNoHandwrittenEnvTables fails when a variable appears in a markdown table
// outside a generated block, where nothing would keep it true.
func TestNoHandwrittenEnvTables(t *testing.T) {
	t.Parallel()
	vars, err := documentedVars()
	require.NoError(t, err)
	known := map[string]bool{}
	for _, v := range vars {
		known[v.Name] = true
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	require.NoError(t, err)
	files = append(files, filepath.Join("..", "..", "README.md"))
	row := regexp.MustCompile("^\\|\\s*`([A-Z][A-Z0-9_]+)`\\s*\\|")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		inBlock := false
		for i, line := range strings.Split(string(raw), "\n") {
			switch {
			case strings.HasPrefix(line, "<!-- BEGIN GENERATED "):
				inBlock = true
			case strings.HasPrefix(line, "<!-- END GENERATED "):
				inBlock = false
			case !inBlock:
				if m := row.FindStringSubmatch(line); m != nil && known[m[1]] {
					t.Errorf("%s:%d: hand-written table row for %s; link to the generated table instead", f, i+1, m[1])
				}
			}
		}
	}
}

func TestHelpListsEveryVariableWithItsDefault(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"help"}, nil, nil, &out, &bytes.Buffer{}))
	vars, err := documentedVars()
	require.NoError(t, err)
	for _, v := range vars {
		want := "\n  " + v.Name + "\n"
		if v.Default != "" {
			want = "\n  " + v.Name + "=" + v.Default + "\n"
		}
		assert.Contains(t, out.String(), want)
	}
	// The hand-written list this replaced said 20 and 50.
	assert.Contains(t, out.String(), "\n  RATE_LIMIT_PER_IP=100\n")
	assert.Contains(t, out.String(), "\n  RATE_LIMIT_PER_SOURCE=200\n")
}

// blockBounds finds the content of the named generated block: from the line
// after its BEGIN marker to its END marker.
func blockBounds(doc, name string) (int, int, error) {
	begin := "<!-- BEGIN GENERATED " + name + ":"
	end := "<!-- END GENERATED " + name + " -->"
	i := strings.Index(doc, begin)
	if i < 0 {
		return 0, 0, fmt.Errorf("no %q marker", begin)
	}
	nl := strings.Index(doc[i:], "\n")
	j := strings.Index(doc, end)
	if nl < 0 || j < i+nl {
		return 0, 0, fmt.Errorf("no %q marker after %q", end, begin)
	}
	return i + nl + 1, j, nil
}

// block is the content of the named generated block.
func block(doc, name string) (string, error) {
	i, j, err := blockBounds(doc, name)
	if err != nil {
		return "", err
	}
	return doc[i:j], nil
}

// replaceBlock puts content into the named generated block.
func replaceBlock(doc, name, content string) (string, error) {
	i, j, err := blockBounds(doc, name)
	if err != nil {
		return "", err
	}
	return doc[:i] + content + doc[j:], nil
}

// lineDiff lists the lines only in the committed text (-) and only in the
// generated one (+).
func lineDiff(committed, generated string) string {
	count := map[string]int{}
	for _, l := range strings.Split(generated, "\n") {
		count[l]++
	}
	var out []string
	for _, l := range strings.Split(committed, "\n") {
		if count[l] > 0 {
			count[l]--
			continue
		}
		out = append(out, "- "+l)
	}
	for _, l := range strings.Split(generated, "\n") {
		if count[l] > 0 {
			count[l]--
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
