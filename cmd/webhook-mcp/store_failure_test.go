package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postJSON posts body to the default webhook route with an Idempotency-Key and
// returns the status, the Retry-After header and the body.
func postJSON(t *testing.T, base, key, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/webhook/make.com/chatgpt-clients", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(raw)
}

func readyStatus(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// mountTmpfs mounts a small tmpfs (a disk that can fill up) for the test, or
// skips where mounting is not allowed; under CI it must work.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount a tmpfs for the disk-full test (CI runs as root): %v: %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillDisk writes a file in dir until the file system is full.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			require.True(t, errors.Is(err, syscall.ENOSPC), "filling the disk: %v", err)
			return path
		}
	}
}

// TestDiskFullIs503AndRecovers fills the disk under a running server: a
// webhook that cannot be committed gets 503 store_unavailable with
// Retry-After (never a 200), /readyz says not ready, and once space returns
// the same webhook, retried with its key, is processed.
func TestDiskFullIs503AndRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	dir := mountTmpfs(t, "4m")
	cmd, base, stderr := startServe(t, []string{"DATA_DIR=" + dir})
	code, _, body := postJSON(t, base, "before", `{"client_id":"disk","task":{"id":"t0"}}`)
	require.Equal(t, http.StatusOK, code, body)

	filler := fillDisk(t, dir)
	big := fmt.Sprintf(`{"client_id":"disk","task":{"id":"t1","description":%q}}`, strings.Repeat("x", 600<<10))
	code, retry, body := postJSON(t, base, "during", big)
	assert.Equal(t, http.StatusServiceUnavailable, code, body)
	assert.Contains(t, body, `"code":"store_unavailable"`)
	assert.NotEmpty(t, retry, "Retry-After tells the sender to come back")
	assert.Equal(t, http.StatusServiceUnavailable, readyStatus(t, base), "a store that cannot commit is not ready")

	require.NoError(t, os.Remove(filler))
	code, _, body = postJSON(t, base, "during", big)
	assert.Equal(t, http.StatusOK, code, "the retry after space returns is processed: %s", body)
	assert.Contains(t, body, `"status":"processed"`)
	assert.Equal(t, http.StatusOK, readyStatus(t, base))
	require.NoError(t, cmd.Process.Kill())
	_, _ = cmd.Process.Wait()
	assert.NotContains(t, stderr.String(), "panic")
}

// TestDeletedDatabaseIs503AndRefusesAnEmptyRestart deletes the database file
// under a running server: webhooks get 503 (not a 200 for data that would be
// lost), /readyz says not ready, and a restart refuses to begin an empty
// database in its place.
func TestDeletedDatabaseIs503AndRefusesAnEmptyRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	dir := t.TempDir()
	cmd, base, _ := startServe(t, []string{"DATA_DIR=" + dir})
	code, _, body := postJSON(t, base, "k1", `{"client_id":"gone","task":{"id":"t1"}}`)
	require.Equal(t, http.StatusOK, code, body)

	require.NoError(t, os.Remove(filepath.Join(dir, "webhook-mcp.db")))
	code, retry, body := postJSON(t, base, "k2", `{"client_id":"gone","task":{"id":"t2"}}`)
	assert.Equal(t, http.StatusServiceUnavailable, code, body)
	assert.Contains(t, body, `"code":"store_unavailable"`)
	assert.NotEmpty(t, retry)
	assert.Equal(t, http.StatusServiceUnavailable, readyStatus(t, base))
	require.NoError(t, cmd.Process.Kill())
	_, _ = cmd.Process.Wait()

	restart := exec.Command(binPath, "serve")
	restart.Env = append(os.Environ(), "DATA_DIR="+dir, "HTTP_ADDR=127.0.0.1:0")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = restart.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = restart.Process.Kill()
		t.Fatal("the restart did not refuse to start")
	}
	require.Error(t, err, "a restart must not begin an empty database: %s", out)
	assert.Contains(t, string(out), "webhook-mcp.db is missing")
}
