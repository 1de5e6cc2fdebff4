package api

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the code table in docs/error-handling.md")

const (
	docsPath   = "../docs/error-handling.md"
	beginMark  = "<!-- codes:begin -->\n"
	endMark    = "<!-- codes:end -->"
	tableTitle = "| code | HTTP status | caller's | message (default, or the only one shown when not the caller's) |\n|---|---|---|---|\n"
)

// codesMarkdown renders the table as the documentation shows it.
func codesMarkdown() string {
	var b strings.Builder
	b.WriteString(tableTitle)
	for _, c := range Codes() {
		whose := "no"
		if c.User {
			whose = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %d %s | %s | %s |\n", c.Code, c.Status, http.StatusText(c.Status), whose, c.Message)
	}
	return b.String()
}

// TestDocsTable keeps docs/error-handling.md's code table equal to the api table.
func TestDocsTable(t *testing.T) {
	raw, err := os.ReadFile(docsPath)
	require.NoError(t, err)
	doc := string(raw)
	start := strings.Index(doc, beginMark)
	end := strings.Index(doc, endMark)
	require.True(t, start >= 0 && end > start, "%s needs the %q and %q markers", docsPath, beginMark, endMark)
	start += len(beginMark)
	if *update {
		doc = doc[:start] + codesMarkdown() + doc[end:]
		require.NoError(t, os.WriteFile(docsPath, []byte(doc), 0o644))
		return
	}
	assert.Equal(t, codesMarkdown(), doc[start:end],
		"the code table in %s differs from api/codes.go: run go test ./api -run TestDocsTable -update", docsPath)
}
