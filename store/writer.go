package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// maxBatch caps how many queued operations one transaction commits.
const maxBatch = 256

// queueSize is the capacity of the writer queue; callers beyond it wait to
// enqueue (back-pressure) while the writer commits.
const queueSize = 1024

// writeFunc is one write operation, run inside the batch transaction. It must
// only touch the database through tx and must not block on anything else.
type writeFunc func(ctx context.Context, tx *sql.Tx) error

// op is a queued write and the channel its caller waits on.
type op struct {
	fn   writeFunc
	done chan error // buffered: the writer never blocks on a caller that left
}

// writer owns the single write connection. One goroutine takes the operations
// waiting in the queue, runs them in one transaction (each under its own
// SAVEPOINT, so that a failing operation is rolled back alone), commits, and
// then releases every caller with its own result: group commit.
type writer struct {
	db    *sql.DB
	log   *slog.Logger
	queue chan op

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	once   sync.Once
	done   chan struct{}

	batches atomic.Int64 // transactions run
	ops     atomic.Int64 // operations run
}

func newWriter(db *sql.DB, log *slog.Logger) *writer {
	w := &writer{db: db, log: log, queue: make(chan op, queueSize), done: make(chan struct{})}
	go w.loop()
	return w
}

// do enqueues fn and waits until the batch holding it has committed. When ctx
// ends first the caller stops waiting, but an enqueued fn still runs.
func (w *writer) do(ctx context.Context, fn writeFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := op{fn: fn, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.queue <- o:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops accepting operations, lets the writer commit everything already
// queued, and waits for it to exit.
func (w *writer) close() {
	w.once.Do(func() {
		w.mu.Lock()
		w.closed = true
		close(w.queue)
		w.mu.Unlock()
	})
	<-w.done
}

func (w *writer) loop() {
	defer close(w.done)
	batch := make([]op, 0, maxBatch)
	errs := make([]error, maxBatch)
	for {
		first, ok := <-w.queue
		if !ok {
			return
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-w.queue:
				if !ok {
					break fill // the next receive returns !ok and ends the loop
				}
				batch = append(batch, o)
			default:
				break fill
			}
		}
		w.run(batch, errs[:len(batch)])
		w.batches.Add(1)
		w.ops.Add(int64(len(batch)))
		for i := range batch {
			batch[i].done <- errs[i]
			batch[i] = op{}
		}
	}
}

// run executes batch in one transaction and stores each operation's outcome in
// errs. A lone operation runs without a savepoint: its failure rolls back the
// transaction, which holds nothing else.
func (w *writer) run(batch []op, errs []error) {
	ctx := context.Background()
	fail := func(err error) {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	clear(errs)
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("store: begin write transaction: %w", err))
		return
	}
	if len(batch) == 1 {
		if errs[0] = call(ctx, tx, batch[0].fn); errs[0] != nil {
			_ = tx.Rollback()
			return
		}
	} else {
		for i := range batch {
			if err := w.runSavepoint(ctx, tx, batch[i].fn, &errs[i]); err != nil {
				// The transaction itself is unusable: every operation fails.
				_ = tx.Rollback()
				fail(err)
				return
			}
		}
	}
	if err := tx.Commit(); err != nil {
		_ = tx.Rollback()
		w.log.Error("store: commit write batch", "ops", len(batch), "err", err)
		fail(fmt.Errorf("store: commit: %w", err))
	}
}

// runSavepoint runs fn under a savepoint, recording its error in *opErr and
// rolling back just its changes. The returned error means the transaction
// could not be kept consistent.
func (w *writer) runSavepoint(ctx context.Context, tx *sql.Tx, fn writeFunc, opErr *error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	if *opErr = call(ctx, tx, fn); *opErr != nil {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO op"); err != nil {
			return fmt.Errorf("store: rollback to savepoint after %w: %w", *opErr, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "RELEASE op"); err != nil {
		return fmt.Errorf("store: release savepoint: %w", err)
	}
	return nil
}

// call runs fn, turning a panic into an error so that the writer survives it.
func call(ctx context.Context, tx *sql.Tx, fn writeFunc) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write operation panicked: %v", p)
		}
	}()
	return fn(ctx, tx)
}
