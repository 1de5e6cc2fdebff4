package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A README walkthrough block is a ```sh or ```bash block right after the line
// <!-- walkthrough -->. The blocks run in order in one bash process, so a
// variable set in one is there in the next. A line `[VAR=value …] make run`
// (re)starts the server with those variables, on the test's address and data
// directory; every other line runs as written.
const walkthroughMarker = "<!-- walkthrough -->"

// walkthroughBlock is one block and where it starts in the README.
type walkthroughBlock struct {
	Line int
	Code string
}

// walkthroughBlocks extracts the marked blocks of a README, with the
// indentation of list items removed.
func walkthroughBlocks(readme string) ([]walkthroughBlock, error) {
	var out []walkthroughBlock
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != walkthroughMarker {
			continue
		}
		j := i + 1
		if j >= len(lines) {
			return nil, fmt.Errorf("line %d: %s at the end", i+1, walkthroughMarker)
		}
		fence := lines[j]
		indent := fence[:len(fence)-len(strings.TrimLeft(fence, " "))]
		if lang := strings.TrimSpace(fence); lang != "```sh" && lang != "```bash" {
			return nil, fmt.Errorf("line %d: %s must be followed by a ```sh or ```bash block", i+1, walkthroughMarker)
		}
		var code []string
		for j++; j < len(lines) && strings.TrimSpace(lines[j]) != "```"; j++ {
			code = append(code, strings.TrimPrefix(lines[j], indent))
		}
		if j == len(lines) {
			return nil, fmt.Errorf("line %d: unterminated block", i+2)
		}
		out = append(out, walkthroughBlock{Line: i + 3, Code: strings.Join(code, "\n")})
		i = j
	}
	return out, nil
}

// makeRunLine is a line that starts the server: optional VAR=value words,
// then `make run`, then an optional comment.
var makeRunLine = regexp.MustCompile(`^((?:[A-Z_][A-Z0-9_]*=\S*\s+)*)make run\s*(?:#.*)?$`)

// walkthroughPrelude defines what the blocks run in: a curl that fails on an
// HTTP error and on an answer replayed from the idempotency cache (an example
// that silently repeats an earlier one), walkthrough_serve for the `make run`
// lines (a server on a free loopback port, whose address replaces the
// README's 127.0.0.1:8000), and walkthrough_run, which runs one block.
const walkthroughPrelude = `set -eEuo pipefail
trap 'echo "walkthrough: the block at README.md:$WALK_LINE failed" >&2' ERR
curl() {
	local hdr rc=0
	hdr=$(mktemp)
	command curl --fail-with-body -D "$hdr" "$@" || rc=$?
	if [ "$rc" -ne 0 ]; then echo >&2; echo "walkthrough: curl failed ($rc); answer headers:" >&2; cat "$hdr" >&2; rm -f "$hdr"; return "$rc"; fi
	if grep -qi '^idempotent-replayed:' "$hdr"; then
		echo >&2; echo "walkthrough: the answer was replayed from the idempotency cache: an earlier example sent the same body" >&2
		rm -f "$hdr"; return 1
	fi
	rm -f "$hdr"; echo
}
walkthrough_stop() {
	if [ -n "${WALK_PID:-}" ]; then kill -TERM "$WALK_PID" 2>/dev/null || true; wait "$WALK_PID" 2>/dev/null || true; WALK_PID=; fi
}
WALK_N=0
walkthrough_serve() {
	walkthrough_stop
	WALK_N=$((WALK_N + 1))
	local log="$WALK_LOGS/server-$WALK_N.log"
	# The README's variables, then what the test needs: a free port, its data
	# directory and its delivery sink. The log exists before the server does,
	# so that reading it never races the child's redirection.
	: >"$log"
	env "$@" $WALK_SERVE_ENV DATA_DIR="$DATA_DIR" HTTP_ADDR=127.0.0.1:0 LOG_FORMAT=text LOG_LEVEL=info \
		bin/webhook-mcp serve >"$log" 2>&1 &
	WALK_PID=$!
	WALK_ADDR=
	for _ in $(seq 1 150); do
		WALK_ADDR=$(sed -n 's/.*msg="http listening" addr=\([0-9.:]*\).*/\1/p' "$log" | head -1)
		if [ -n "$WALK_ADDR" ] && command curl -fsS -o /dev/null "http://$WALK_ADDR/readyz" 2>/dev/null; then
			export WEBHOOK_MCP_URL="http://$WALK_ADDR"
			return 0
		fi
		kill -0 "$WALK_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "walkthrough: the server did not start" >&2
	return 1
}
walkthrough_run() {
	local code
	code=$(cat)
	eval "${code//127.0.0.1:8000/$WALK_ADDR}"
}
trap walkthrough_stop EXIT
`

// walkthroughScript turns the README's blocks into one bash script.
func walkthroughScript(blocks []walkthroughBlock) string {
	var b strings.Builder
	b.WriteString(walkthroughPrelude)
	b.WriteString("walkthrough_serve\n")
	for i, blk := range blocks {
		fmt.Fprintf(&b, "WALK_LINE=%d\necho '=== README.md:%d'\nwalkthrough_run <<'WALK_BLOCK_%d'\n", blk.Line, blk.Line, i)
		for _, line := range strings.Split(blk.Code, "\n") {
			if m := makeRunLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				line = "walkthrough_serve " + m[1]
			}
			b.WriteString(line + "\n")
		}
		fmt.Fprintf(&b, "WALK_BLOCK_%d\n", i)
	}
	return b.String()
}

// deliverySink stands in for the Make.com custom webhook that approved
// responses are delivered to.
type deliverySink struct {
	mu     sync.Mutex
	bodies []string
}

func (d *deliverySink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	d.mu.Lock()
	d.bodies = append(d.bodies, string(b))
	d.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (d *deliverySink) received() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.bodies...)
}

// runWalkthrough runs a README's walkthrough against a fresh server and
// returns the output; approved deliveries go to sink.
func runWalkthrough(t *testing.T, readme string, sink *deliverySink) (string, error) {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README walkthrough needs %s", tool)
		}
	}
	blocks, err := walkthroughBlocks(readme)
	require.NoError(t, err)
	sinkSrv := httptest.NewServer(sink)
	t.Cleanup(sinkSrv.Close)

	work := t.TempDir()
	logs := filepath.Join(work, "logs")
	require.NoError(t, os.Mkdir(logs, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(work, "bin"), 0o755))
	require.NoError(t, os.Symlink(binPath, filepath.Join(work, "bin", "webhook-mcp")))
	script := filepath.Join(work, "walkthrough.sh")
	require.NoError(t, os.WriteFile(script, []byte(walkthroughScript(blocks)), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + filepath.Join(work, "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + t.TempDir(), "DATA_DIR=" + filepath.Join(work, "data"), "WALK_LOGS=" + logs,
		// Deliveries go to the sink instead of Make.com (loopback, so it must be allowed).
		"WALK_SERVE_ENV=MAKE_COM_WEBHOOK_ENDPOINT=" + sinkSrv.URL + "/hook OUTBOUND_ALLOW_HOSTS=127.0.0.1"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		logFiles, _ := filepath.Glob(filepath.Join(logs, "*.log"))
		var all strings.Builder
		for _, f := range logFiles {
			b, _ := os.ReadFile(f)
			fmt.Fprintf(&all, "\n--- %s ---\n%s", filepath.Base(f), b)
		}
		return string(out) + all.String(), err
	}
	return string(out), nil
}

// TestREADMEWalkthrough runs the README's walkthrough top to bottom against a
// fresh server (make walkthrough): every request succeeds, none is answered
// from the idempotency cache, and the approved response reaches the stand-in
// for Make.com while the rejected one never does.
func TestREADMEWalkthrough(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	blocks, err := walkthroughBlocks(string(readme))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(blocks), 8, "the README marks its walkthrough blocks")
	all := ""
	for _, b := range blocks {
		all += b.Code + "\n"
	}
	assert.Contains(t, all, "webhook-mcp call send_webhook_response", "the approval walkthrough uses webhook-mcp call")

	sink := &deliverySink{}
	out, err := runWalkthrough(t, string(readme), sink)
	require.NoError(t, err, "%s", out)
	for _, b := range blocks {
		assert.Contains(t, out, fmt.Sprintf("=== README.md:%d", b.Line), "every block ran")
	}
	assert.Contains(t, out, `"status":"processed"`)
	require.Eventually(t, func() bool { return len(sink.received()) > 0 }, 30*time.Second, 50*time.Millisecond,
		"the approved response is delivered")
	got := sink.received()
	assert.Len(t, got, 1, "only the approved request is delivered")
	assert.Contains(t, got[0], "Task task_123 is done")
}

// TestWalkthroughHarnessFails shows that the harness can fail: a request the
// server refuses, a command that fails, and an example that repeats an earlier
// body (answered from the idempotency cache) each stop the walkthrough.
func TestWalkthroughHarnessFails(t *testing.T) {
	t.Parallel()
	post := func(task string) string {
		return "curl -sS http://127.0.0.1:8000/api/webhook/make.com/chatgpt-clients -H 'Content-Type: application/json' " +
			`-d '{"client_id":"c1","task":{"id":"` + task + `"}}'`
	}
	for name, tc := range map[string]struct {
		blocks []string
		want   string
	}{
		"refused request": {[]string{post("a"), "curl -sS http://127.0.0.1:8000/api/webhook/nowhere/nothing -d '{}'"},
			"curl failed"},
		"failing command":  {[]string{"false"}, "the block at README.md:"},
		"replayed example": {[]string{post("same"), post("same")}, "replayed from the idempotency cache"},
		"signed after restart without a secret": {[]string{"MAKE_COM_WEBHOOK_SECRET=s make run",
			post("unsigned")}, "curl failed"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var readme strings.Builder
			for _, b := range tc.blocks {
				fmt.Fprintf(&readme, "text\n\n%s\n```sh\n%s\n```\n\n", walkthroughMarker, b)
			}
			out, err := runWalkthrough(t, readme.String(), &deliverySink{})
			require.Error(t, err, "%s", out)
			assert.Contains(t, out, tc.want)
		})
	}
}

func TestWalkthroughBlocks(t *testing.T) {
	t.Parallel()
	readme := "# x\n" + walkthroughMarker + "\n```sh\necho one\n```\n\n```sh\necho unmarked\n```\n" +
		"1. item\n\n   " + walkthroughMarker + "\n   ```bash\n   echo two \\\n     three\n   ```\n"
	blocks, err := walkthroughBlocks(readme)
	require.NoError(t, err)
	require.Len(t, blocks, 2)
	assert.Equal(t, walkthroughBlock{Line: 4, Code: "echo one"}, blocks[0])
	assert.Equal(t, "echo two \\\n  three", blocks[1].Code)

	_, err = walkthroughBlocks(walkthroughMarker + "\ntext\n")
	assert.Error(t, err)
	_, err = walkthroughBlocks(walkthroughMarker + "\n```sh\necho\n")
	assert.Error(t, err)

	script := walkthroughScript([]walkthroughBlock{{Line: 1, Code: "A=1 B=x make run   # comment\nmake runner\ncurl http://127.0.0.1:8000/x"}})
	sc := bufio.NewScanner(strings.NewReader(script))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	assert.Contains(t, lines, "walkthrough_serve A=1 B=x ")
	assert.Contains(t, lines, "make runner")
	assert.Contains(t, lines, "curl http://127.0.0.1:8000/x", "rewritten at run time, to the address of the server then running")
}
