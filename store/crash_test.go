package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// crashDirEnv makes the test binary act as the writer process of TestKill9.
const crashDirEnv = "STORE_CRASH_TEST_DIR"

// TestKill9 checks the durability promise of the default synchronous mode: a
// process writing from many goroutines is killed with SIGKILL, and every write
// it had acknowledged is in the database afterwards.
func TestKill9(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashWriter(dir)
		return
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	acked := map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 2000 {
		acked[sc.Text()] = true
	}
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no deferred Close, no final checkpoint
	// Every acknowledgement written before the process died counts.
	for sc.Scan() {
		acked[sc.Text()] = true
	}
	_ = cmd.Wait()
	require.GreaterOrEqual(t, len(acked), 2000, "the writer acknowledged writes before it was killed")
	_, err = os.Stat(filepath.Join(dir, store.DBFileName+"-wal"))
	require.NoError(t, err, "the WAL was left behind by the killed process")

	s, err := store.OpenSQLite(context.Background(), store.Options{DataDir: dir, Logger: quiet})
	require.NoError(t, err)
	defer s.Close()
	found := map[string]bool{}
	for _, src := range []string{"crash-0", "crash-1", "crash-2", "crash-3", "crash-4", "crash-5", "crash-6", "crash-7"} {
		var before webhook.EventFilter
		for {
			before.Source, before.Limit = src, 500
			evs, err := s.ListEvents(context.Background(), before)
			require.NoError(t, err)
			for _, e := range evs {
				found[e.ID] = true
			}
			if len(evs) < 500 {
				break
			}
			before.Before = evs[len(evs)-1].ReceivedAt
		}
	}
	missing := 0
	for id := range acked {
		if !found[id] {
			missing++
		}
	}
	assert.Zero(t, missing, "acknowledged writes lost: %d of %d", missing, len(acked))
}

// crashWriter writes inbox rows from 8 goroutines until it is killed,
// printing the id of each write once BeginEvent has returned.
func crashWriter(dir string) {
	s, err := store.OpenSQLite(context.Background(), store.Options{DataDir: dir, Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("g%d-%06d", g, i)
				ev := event(id, "", t0.Add(-time.Duration(i)*time.Microsecond))
				ev.Source = fmt.Sprintf("crash-%d", g)
				if _, err := s.BeginEvent(context.Background(), ev, t0); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintln(w, id)
				_ = w.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
