package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

var quiet = slog.New(slog.DiscardHandler)

func openInternal(t *testing.T) *SQLite {
	t.Helper()
	s, err := OpenSQLite(context.Background(), Options{DataDir: t.TempDir(), Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// blockWriter occupies the writer until the returned func is called, so that
// operations enqueued meanwhile land in one batch.
func blockWriter(t *testing.T, s *SQLite) (release func()) {
	t.Helper()
	started, unblock := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.writer.do(context.Background(), func(context.Context, *wtx) error {
			close(started)
			<-unblock
			return nil
		})
	}()
	<-started
	return sync.OnceFunc(func() { close(unblock) })
}

func waitQueued(t *testing.T, s *SQLite, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(s.writer.queue) == n }, 5*time.Second, time.Millisecond)
}

func request(id string) approval.Request {
	now := time.Now()
	return approval.Request{ID: id, Action: "a", State: approval.StatePending, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
}

func TestGroupCommitIsolatesFailingOps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t)
	require.NoError(t, s.CreateApproval(ctx, request("dup"), approval.Event{To: approval.StatePending}))

	release := blockWriter(t, s)
	defer release()
	batchesBefore := s.writer.batches.Load() // the blocking batch is not counted yet

	var wg sync.WaitGroup
	const good = 10
	errs := make([]error, good)
	for i := range good {
		wg.Go(func() {
			errs[i] = s.CreateApproval(ctx, request(fmt.Sprintf("ok-%d", i)), approval.Event{To: approval.StatePending})
		})
	}
	var dupErr, partialErr, panicErr error
	wg.Go(func() {
		dupErr = s.CreateApproval(ctx, request("dup"), approval.Event{To: approval.StatePending})
	})
	// An operation that writes, then fails: its write must be rolled back alone.
	wg.Go(func() {
		partialErr = s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO approvals (id, action, client_id, webhook_id,
				target_url, summary, params_sha256, requested_by, state, created_at, expires_at, updated_at)
				VALUES ('partial', '', '', '', '', '', '', '', 'pending', 1, 1, 1)`); err != nil {
				return err
			}
			return errors.New("fails after writing")
		})
	})
	wg.Go(func() {
		panicErr = s.writer.do(ctx, func(context.Context, *wtx) error { panic("boom") })
	})
	waitQueued(t, s, good+3)
	release()
	wg.Wait()

	for i, err := range errs {
		assert.NoError(t, err, "op %d", i)
	}
	require.Error(t, dupErr)
	assert.Contains(t, dupErr.Error(), "store approval dup")
	assert.EqualError(t, partialErr, "fails after writing")
	assert.ErrorContains(t, panicErr, "panicked: boom")
	assert.Equal(t, batchesBefore+2, s.writer.batches.Load(), "the blocker, then all queued operations in one batch")

	list, err := s.ListApprovals(ctx, approval.Filter{Limit: 100})
	require.NoError(t, err)
	assert.Len(t, list, good+1, "the good ones and the first dup; not 'partial'")
	_, err = s.GetApproval(ctx, "partial")
	require.ErrorIs(t, err, approval.ErrNotFound)
}

func TestWriterCallerContext(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	release := blockWriter(t, s)
	defer release()

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.CreateApproval(canceled, request("never"), approval.Event{To: approval.StatePending})
	require.ErrorIs(t, err, context.Canceled, "a done context is not enqueued")

	// Once enqueued, an operation runs even when its caller stops waiting.
	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	err = s.CreateApproval(short, request("late"), approval.Event{To: approval.StatePending})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	release()
	require.Eventually(t, func() bool {
		_, err := s.GetApproval(context.Background(), "late")
		return err == nil
	}, 5*time.Second, time.Millisecond)
	_, err = s.GetApproval(context.Background(), "never")
	require.ErrorIs(t, err, approval.ErrNotFound)
}

func TestCloseDrainsQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := OpenSQLite(ctx, Options{DataDir: dir, Logger: quiet})
	require.NoError(t, err)
	release := blockWriter(t, s)

	var wg sync.WaitGroup
	const n = 20
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.CreateApproval(ctx, request(fmt.Sprintf("a%d", i)), approval.Event{To: approval.StatePending})
		})
	}
	waitQueued(t, s, n)
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	require.Eventually(t, func() bool {
		s.writer.mu.RLock()
		defer s.writer.mu.RUnlock()
		return s.writer.closed
	}, 5*time.Second, time.Millisecond)
	err = s.CreateApproval(ctx, request("after"), approval.Event{To: approval.StatePending})
	require.ErrorIs(t, err, ErrClosed)
	release()
	require.NoError(t, <-closed)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}

	s, err = OpenSQLite(ctx, Options{DataDir: dir, Logger: quiet})
	require.NoError(t, err)
	defer s.Close()
	list, err := s.ListApprovals(ctx, approval.Filter{})
	require.NoError(t, err)
	assert.Len(t, list, n)
}

func TestConnectionPragmas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		opt  string
		want int
	}{{"", 1}, {SyncNormal, 1}, {SyncFull, 2}, {"full", 2}} {
		s, err := OpenSQLite(ctx, Options{DataDir: t.TempDir(), Logger: quiet, Synchronous: tt.opt})
		require.NoError(t, err)
		var syncMode, fk, busy int
		var journal string
		require.NoError(t, s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
			for q, dst := range map[string]any{"PRAGMA synchronous": &syncMode, "PRAGMA foreign_keys": &fk,
				"PRAGMA busy_timeout": &busy, "PRAGMA journal_mode": &journal} {
				if err := tx.QueryRowContext(ctx, q).Scan(dst); err != nil {
					return err
				}
			}
			return nil
		}))
		assert.Equal(t, tt.want, syncMode, "synchronous %q", tt.opt)
		assert.Equal(t, 1, fk)
		assert.Equal(t, busyTimeoutMS, busy)
		assert.Equal(t, "wal", journal)

		var queryOnly, rbusy int
		require.NoError(t, s.rdb.QueryRowContext(ctx, "PRAGMA query_only").Scan(&queryOnly))
		require.NoError(t, s.rdb.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&rbusy))
		assert.Equal(t, 1, queryOnly)
		assert.Equal(t, busyTimeoutMS, rbusy)
		_, err = s.rdb.ExecContext(ctx, "DELETE FROM approvals")
		require.Error(t, err, "readers cannot write")
		require.NoError(t, s.Close())
	}
}
