package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// Compile-time checks that SQLite implements the stores the domain declares.
var (
	_ webhook.Inbox  = (*SQLite)(nil)
	_ graph.Store    = (*SQLite)(nil)
	_ approval.Store = (*SQLite)(nil)
	_ Store          = (*SQLite)(nil)
)

// DBFileName is the database file created in Options.DataDir.
const DBFileName = "webhook-mcp.db"

// DefaultDataDir is used when neither Options.URL nor Options.DataDir is set.
const DefaultDataDir = "data"

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection (another process, or a checkpoint) before SQLITE_BUSY.
const busyTimeoutMS = 5000

// Synchronous modes accepted by Options.Synchronous.
const (
	// SyncNormal does not fsync the WAL on each commit. A committed transaction
	// has been written to the OS by the time the caller is released, so it
	// survives a crash or kill -9 of the process; an OS crash or power loss can
	// lose the last transactions (the database stays consistent). The default.
	SyncNormal = "NORMAL"
	// SyncFull fsyncs the WAL on every commit (once per group-committed batch),
	// so a commit also survives power loss.
	SyncFull = "FULL"
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("store closed")

// Options configure Open.
type Options struct {
	// URL is DATABASE_URL: "sqlite:///abs/path/file.db", "sqlite://relative.db",
	// "postgres://…" or "postgresql://…" (see OpenPostgres), or empty to use
	// DataDir.
	URL string
	// DataDir holds webhook-mcp.db when URL is empty; created (0o750) if absent.
	// Empty: DefaultDataDir.
	DataDir string
	// Logger receives store diagnostics; nil: slog.Default().
	Logger *slog.Logger
	// Now is the clock for times the store assigns itself; nil: time.Now.
	Now func() time.Time
	// Synchronous is SyncNormal (default when empty) or SyncFull; see those
	// constants for the durability each gives. SQLite only: PostgreSQL's
	// durability is the server's synchronous_commit.
	Synchronous string
}

// SQLite is the SQLite store. It is safe for concurrent use.
type SQLite struct {
	path   string
	log    *slog.Logger
	now    func() time.Time
	wdb    *sql.DB // one connection, used only by the writer goroutine
	rdb    *sql.DB // read-only pool
	writer *writer
	health *health
	reads  *readStmts // prepared statements of rdb

	closeOnce sync.Once
	closeErr  error
}

// ParseURL returns the SQLite file path named by a DATABASE_URL of the form
// "sqlite:///abs/path/file.db" (absolute) or "sqlite://relative.db" (relative
// to the working directory). Other schemes are rejected.
func ParseURL(databaseURL string) (string, error) {
	scheme, rest, ok := strings.Cut(databaseURL, "://")
	if !ok {
		return "", fmt.Errorf("database url %q: want sqlite:///path/to/file.db", databaseURL)
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
	case "postgres", "postgresql":
		return "", fmt.Errorf("database url: a PostgreSQL url names no SQLite file; store.Open selects PostgreSQL for it")
	default:
		return "", fmt.Errorf("database url: unsupported scheme %q; use sqlite:///path/to/file.db or postgres://host/db", scheme)
	}
	if strings.ContainsAny(rest, "?#") {
		return "", fmt.Errorf("database url %q: query and fragment are not supported", databaseURL)
	}
	p, err := url.PathUnescape(rest)
	if err != nil {
		return "", fmt.Errorf("database url %q: %w", databaseURL, err)
	}
	if p == "" || p == "/" {
		return "", fmt.Errorf("database url %q: no file path", databaseURL)
	}
	if strings.Contains(p, ":memory:") || strings.HasPrefix(p, "file:") {
		return "", fmt.Errorf("database url %q: an in-memory database cannot be shared by the writer and readers", databaseURL)
	}
	return filepath.Clean(p), nil
}

// dbPath resolves the database file from the options.
func (o Options) dbPath() (string, error) {
	if o.URL != "" {
		return ParseURL(o.URL)
	}
	dir := o.DataDir
	if dir == "" {
		dir = DefaultDataDir
	}
	return filepath.Join(dir, DBFileName), nil
}

// dsn builds a modernc.org/sqlite DSN whose pragmas run on every new pooled
// connection. The path is passed as a plain file name (not a file: URI), so it
// needs no escaping; the driver strips the query before opening it.
func dsn(path string, pragmas ...string) string {
	q := url.Values{}
	q["_pragma"] = append([]string{fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS)}, pragmas...)
	return path + "?" + q.Encode()
}

// OpenSQLite opens (creating if needed) the SQLite database named by opts,
// applies pending migrations and starts the writer.
func OpenSQLite(ctx context.Context, opts Options) (*SQLite, error) {
	path, err := opts.dbPath()
	if err != nil {
		return nil, err
	}
	if strings.Contains(path, "?") {
		return nil, fmt.Errorf("store path %q: '?' is not allowed in the file name", path)
	}
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = SyncNormal
	case SyncNormal, SyncFull:
	default:
		return nil, fmt.Errorf("store: synchronous %q: want NORMAL or FULL", opts.Synchronous)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	if err := checkNotLost(path); err != nil {
		return nil, err
	}
	s := &SQLite{path: path, log: opts.Logger, now: opts.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}

	// The writer connection is opened first: it switches the file to WAL (a
	// persistent setting) and runs the migrations before any reader exists.
	// _txlock=immediate makes the migration transactions take the write lock at
	// BEGIN (the writer issues BEGIN IMMEDIATE itself), so a write transaction
	// can never fail half-way with SQLITE_BUSY on lock upgrade.
	// journal_size_limit truncates the WAL file back to 64 MiB after a burst.
	s.wdb, err = sql.Open("sqlite", dsn(path, "journal_mode(WAL)", "foreign_keys(1)",
		"synchronous("+sync+")", "journal_size_limit(67108864)")+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	if err := s.wdb.PingContext(ctx); err != nil {
		_ = s.wdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.wdb.Close()
		return nil, err
	}

	// Readers: query_only so that nothing but the writer can write; in WAL mode
	// a reader works on a snapshot and never waits for the writer.
	s.rdb, err = sql.Open("sqlite", dsn(path, "foreign_keys(1)", "query_only(1)"))
	if err != nil {
		_ = s.wdb.Close()
		return nil, fmt.Errorf("store: open readers %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.rdb.SetMaxOpenConns(n)
	s.rdb.SetMaxIdleConns(n)
	s.rdb.SetConnMaxIdleTime(5 * time.Minute)
	if err := s.rdb.PingContext(ctx); err != nil {
		_ = s.rdb.Close()
		_ = s.wdb.Close()
		return nil, fmt.Errorf("store: open readers %s: %w", path, err)
	}

	ident, err := os.Stat(path)
	if err == nil {
		err = writeMarker(path, s.now())
	}
	if err != nil {
		_ = s.rdb.Close()
		_ = s.wdb.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	s.health = &health{path: path, ident: ident}
	s.reads = newReadStmts(s.rdb)
	if s.writer, err = newWriter(ctx, s.wdb, s.log, s.health); err != nil {
		_ = s.rdb.Close()
		_ = s.wdb.Close()
		return nil, err
	}
	s.log.Debug("store opened", "kind", s.Kind(), "path", path, "synchronous", sync)
	return s, nil
}

// Close waits for queued writes to commit, stops the writer and closes the
// database. Further writes return ErrClosed; closing again is a no-op.
func (s *SQLite) Close() error {
	s.closeOnce.Do(func() {
		cerr := s.writer.close()
		s.reads.close()
		rerr := s.rdb.Close()
		// Closing the last connection checkpoints the WAL into the database file.
		werr := s.wdb.Close()
		if err := errors.Join(cerr, rerr, werr); err != nil {
			s.closeErr = fmt.Errorf("store close: %w", err)
		}
	})
	return s.closeErr
}

// Kind is the store kind reported by /api/status: "sqlite".
func (s *SQLite) Kind() string { return "sqlite" }

// Path is the database file path.
func (s *SQLite) Path() string { return s.path }
