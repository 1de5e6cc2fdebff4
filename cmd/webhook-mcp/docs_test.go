package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/server"
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

// TestNoHandwrittenEnvTables checks the markdown tables with a default column
// outside the generated blocks. A table whose rows are variables (the variable
// in the first column) is a hand-written copy of the generated one and fails:
// nothing would keep its defaults and meanings true. A table of something
// else that quotes a variable's default (security.md's limits: limit, variable,
// default, ...) must quote the default the struct tag gives.
func TestNoHandwrittenEnvTables(t *testing.T) {
	t.Parallel()
	vars, err := documentedVars()
	require.NoError(t, err)
	byName := map[string]server.EnvVar{}
	for _, v := range vars {
		byName[v.Name] = v
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	require.NoError(t, err)
	files = append(files, filepath.Join("..", "..", "README.md"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		inBlock := false
		varCol, defCol := -1, -1 // of the current table; -1: none
		lines := strings.Split(string(raw), "\n")
		for i, line := range lines {
			switch {
			case strings.HasPrefix(line, "<!-- BEGIN GENERATED "):
				inBlock = true
			case strings.HasPrefix(line, "<!-- END GENERATED "):
				inBlock = false
			case !strings.HasPrefix(line, "|"):
				varCol, defCol = -1, -1
			case strings.HasPrefix(line, "|---") && i > 0:
				header := tableCells(lines[i-1])
				varCol, defCol = slices.Index(header, "variable"), slices.Index(header, "default")
			case inBlock || defCol < 0:
			default:
				cells := tableCells(line)
				if first := strings.Trim(cells[0], "`"); byName[first].Name != "" {
					t.Errorf("%s:%d: hand-written table row for %s; link to the generated table instead", f, i+1, first)
					continue
				}
				if varCol < 0 || varCol >= len(cells) || defCol >= len(cells) {
					continue
				}
				if v, ok := byName[strings.Trim(cells[varCol], "`")]; ok && !quotesDefault(cells[defCol], v) {
					t.Errorf("%s:%d: %s's default is %q, not %q", f, i+1, v.Name, v.Default, cells[defCol])
				}
			}
		}
	}
}

// tableCells splits a markdown table row into its trimmed cells.
func tableCells(line string) []string {
	cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
	}
	return cells
}

// quotesDefault reports whether a table cell starts with v's default, in the
// units people write: "30 s" or "30 min" for a duration, "1 MiB" for bytes,
// "100/s" for a rate, the value itself otherwise.
func quotesDefault(cell string, v server.EnvVar) bool {
	cell = strings.ReplaceAll(strings.Trim(cell, "`"), ",", "")
	m := regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|KiB|MiB|GiB)?\b`).FindStringSubmatch(cell)
	switch {
	case v.Default == "":
		return cell == "—" || cell == "-"
	case m == nil:
		return strings.HasPrefix(cell, v.Default)
	case v.Kind == "duration":
		want, err := time.ParseDuration(v.Default)
		unit := map[string]string{"": "s", "min": "m"}[m[2]]
		if unit == "" {
			unit = m[2]
		}
		got, err2 := time.ParseDuration(m[1] + unit)
		return err == nil && err2 == nil && got == want
	case v.Kind == "integer" || v.Kind == "number":
		want, err := strconv.ParseFloat(v.Default, 64)
		got, err2 := strconv.ParseFloat(m[1], 64)
		switch m[2] {
		case "KiB":
			got *= 1 << 10
		case "MiB":
			got *= 1 << 20
		case "GiB":
			got *= 1 << 30
		}
		return err == nil && err2 == nil && got == want
	}
	return strings.HasPrefix(cell, v.Default)
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
