package store

import (
	"context"
	"database/sql"
	"errors"
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

// maxCachedStmts bounds the writer's prepared-statement cache. The writes use
// a fixed set of statements, far fewer than this.
const maxCachedStmts = 128

// writeFunc is one write operation, run inside the batch transaction. It must
// only touch the database through tx and must not block on anything else.
type writeFunc func(ctx context.Context, tx *wtx) error

// op is a queued write and the channel its caller waits on.
type op struct {
	fn   writeFunc
	done chan error // buffered: the writer never blocks on a caller that left
}

// writer owns the single write connection. One goroutine takes the operations
// waiting in the queue, runs them in one transaction (each under its own
// SAVEPOINT, so that a failing operation is rolled back alone), commits, and
// then releases every caller with its own result: group commit. Committing
// the writes of many callers at once is what makes a durable commit per
// request affordable.
type writer struct {
	conn  *sql.Conn // owned by the writer goroutine; transactions are explicit BEGIN IMMEDIATE/COMMIT
	log   *slog.Logger
	queue chan op
	stmts map[string]*sql.Stmt // prepared on conn; touched only by the writer goroutine
	// health is told how each batch ended, and refuses a batch when the file
	// was replaced; nil: not watched.
	health *health

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	once   sync.Once
	done   chan struct{}

	batches atomic.Int64 // transactions run
	ops     atomic.Int64 // operations run
}

func newWriter(ctx context.Context, db *sql.DB, log *slog.Logger, h *health) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: writer connection: %w", err)
	}
	w := &writer{conn: conn, log: log, health: h, queue: make(chan op, queueSize), stmts: map[string]*sql.Stmt{},
		done: make(chan struct{})}
	go w.loop()
	return w, nil
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
// queued, waits for it to exit and releases the connection.
func (w *writer) close() error {
	w.once.Do(func() {
		w.mu.Lock()
		w.closed = true
		close(w.queue)
		w.mu.Unlock()
	})
	<-w.done
	// Let SQLite refresh the statistics its query planner uses, as it advises
	// doing before closing a long-lived connection.
	if _, err := w.conn.ExecContext(context.Background(), "PRAGMA optimize"); err != nil {
		w.log.Debug("store: pragma optimize", "err", err)
	}
	for q, st := range w.stmts {
		_ = st.Close()
		delete(w.stmts, q)
	}
	return w.conn.Close()
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
	tx := &wtx{w: w}
	fail := func(err error) {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	clear(errs)
	if w.health != nil {
		if err := w.health.check(); err != nil {
			fail(fmt.Errorf("store: %w", err))
			return
		}
		defer func() { w.health.observe(firstError(errs)) }()
	}
	if _, err := tx.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		fail(fmt.Errorf("store: begin write transaction: %w", err))
		return
	}
	if len(batch) == 1 {
		if errs[0] = call(ctx, tx, batch[0].fn); errs[0] != nil {
			w.rollback(ctx, tx)
			return
		}
	} else {
		for i := range batch {
			if err := runSavepoint(ctx, tx, batch[i].fn, &errs[i]); err != nil {
				// The transaction itself is unusable: every operation fails.
				w.rollback(ctx, tx)
				fail(err)
				return
			}
		}
	}
	if _, err := tx.ExecContext(ctx, "COMMIT"); err != nil {
		w.rollback(ctx, tx)
		w.log.Error("store: commit write batch", "ops", len(batch), "err", err)
		fail(fmt.Errorf("store: commit: %w", err))
	}
}

func (w *writer) rollback(ctx context.Context, tx *wtx) {
	// After some errors SQLite has already rolled back; "no transaction is
	// active" is then expected and harmless.
	if _, err := tx.ExecContext(ctx, "ROLLBACK"); err != nil {
		w.log.Debug("store: rollback", "err", err)
	}
}

// runSavepoint runs fn under a savepoint, recording its error in *opErr and
// rolling back just its changes. The returned error means the transaction
// could not be kept consistent.
func runSavepoint(ctx context.Context, tx *wtx, fn writeFunc, opErr *error) error {
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
func call(ctx context.Context, tx *wtx, fn writeFunc) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write operation panicked: %v", p)
		}
	}()
	return fn(ctx, tx)
}

// wtx is the open write transaction, as seen by an operation. Its statements
// are prepared once on the writer connection and reused by every batch:
// parsing SQL costs more than executing these small statements.
type wtx struct{ w *writer }

func (t *wtx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.w.stmts[query]; ok {
		return st, nil
	}
	if len(t.w.stmts) >= maxCachedStmts {
		return nil, nil
	}
	st, err := t.w.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	t.w.stmts[query] = st
	return st, nil
}

// ExecContext executes a statement in the transaction.
func (t *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return t.w.conn.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs a query in the transaction.
func (t *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return t.w.conn.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (t *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, query)
	if err != nil || st == nil {
		// Unprepared: the connection reports the same error, through the Row.
		return t.w.conn.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// firstError is the first storage-level failure among a batch's outcomes, or
// nil when the batch committed (one operation's own mistake is not one).
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil && (storageFailure(err) || errors.Is(err, ErrReplaced)) {
			return err
		}
	}
	for _, err := range errs {
		if err == nil {
			return nil // something committed
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}
