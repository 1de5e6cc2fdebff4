package main

// The PostgreSQL rows (issue 13): the signed seed webhook against webhook-mcp
// on PostgreSQL, one replica, then two replicas on one database with the load
// split over both, each next to the SQLite product row of the same run. They
// are informational: the issue sets them no target.

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgEnv names the database of the PostgreSQL rows (the default of -pg), as the
// PostgreSQL tests do; scripts/pg.sh starts a throwaway server and sets it.
const pgEnv = "TEST_DATABASE_URL"

// pgSkipped is why the rows are missing from a run without a database.
const pgSkipped = pgEnv + " not set: make bench-pg runs them on a throwaway PostgreSQL (scripts/pg.sh)"

// pgTarget is the phases' target for n replicas.
func pgTarget(n int) string { return fmt.Sprintf("webhook-mcp/pg%d", n) }

// pgSummary is the PostgreSQL part of a report: why it was skipped, or its rows.
type pgSummary struct {
	Skipped string  `json:"skipped,omitempty"`
	Rows    []pgRow `json:"rows,omitempty"`
}

// pgRow is one set-up's closed-loop throughput and open-loop p99, each as a
// ratio to the SQLite product in the same run (0: not measured).
type pgRow struct {
	Replicas        int     `json:"replicas"`
	ThroughputRatio float64 `json:"throughput_ratio_to_sqlite"`
	P99Ratio        float64 `json:"open_p99_ratio_to_sqlite,omitempty"`
	Text            string  `json:"text"`
}

// runPostgres measures the PostgreSQL set-ups with the seed payload, or
// records that they were skipped when no database is given.
func runPostgres(ctx context.Context, cfg config, bin, tmp, secret string, payloads []payload, rep *report,
	seq *atomic.Int64) error {
	if cfg.PG == "" {
		rep.Postgres = &pgSummary{Skipped: pgSkipped}
		fmt.Fprintln(os.Stderr, "PostgreSQL rows skipped: "+pgSkipped)
		return nil
	}
	rep.Postgres = &pgSummary{}
	began := time.Now()
	defer func() {
		fmt.Fprintf(os.Stderr, "PostgreSQL rows took %s\n", time.Since(began).Round(100*time.Millisecond))
	}()
	for _, pl := range payloads {
		if pl.name != "seed" {
			continue
		}
		for _, n := range []int{1, 2} {
			if err := runPGReplicas(ctx, cfg, bin, tmp, secret, pl, n, rep, seq); err != nil {
				return fmt.Errorf("postgres, %d replica(s): %w", n, err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	return nil
}

// runPGReplicas starts n webhook-mcp replicas on a new schema of one database,
// one after the other (the first migrates it), and measures them as one
// server: the requests go to the replicas by turns, as a round-robin load
// balancer would send them.
func runPGReplicas(ctx context.Context, cfg config, bin, tmp, secret string, pl payload, n int, rep *report,
	seq *atomic.Int64) (err error) {
	dbURL, drop, err := newPGSchema(ctx, cfg.PG)
	if err != nil {
		return err
	}
	defer func() {
		if derr := drop(); derr != nil && err == nil {
			err = derr
		}
	}()
	var ps []*proc
	defer func() { // on an early return; stopping twice is harmless
		for _, p := range ps {
			p.stop()
		}
	}()
	client := newClient()
	defer client.CloseIdleConnections()
	prefix := fmt.Sprintf("bench-%s-pg%d-", randHex(4), n)
	split := make(splitTarget, 0, n)
	for i := range n {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		name := fmt.Sprintf("webhook-mcp (pg %d/%d)", i+1, n)
		env := append(productEnv(addr, filepath.Join(tmp, fmt.Sprintf("data-pg%d-%d", n, i+1)), secret), "DATABASE_URL="+dbURL)
		p, err := startProc(ctx, name, []string{bin, "serve"}, env, addr, filepath.Join(tmp, fmt.Sprintf("server-pg%d-%d.log", n, i+1)))
		if err != nil {
			return err
		}
		ps = append(ps, p)
		fmt.Fprintf(os.Stderr, "%-22s ready in %.1f ms via %s, idle RSS %.1f MiB\n", name, p.readyMS, p.readyPath, mib(p.idleKiB))
		split = append(split, newWebhookTarget(client, p.base, pl.body, secret, prefix))
	}
	var rates []int
	if cfg.PGRate > 0 {
		rates = []int{cfg.PGRate}
	}
	sv := serverSpec{name: fmt.Sprintf("webhook-mcp (pg x%d)", n), target: pgTarget(n), suite: "webhook"}
	rep.Phases = append(rep.Phases, runGroup(ctx, cfg, ps, sv, "", pl.name, split, rates, seq)...)
	for _, p := range ps {
		p.stop()
		rep.Processes = append(rep.Processes, procInfo{Name: p.name, Target: sv.target, Suite: sv.suite,
			ReadyPath: p.readyPath, StartToReadyMS: p.readyMS, IdleRSSKiB: p.idleKiB, PeakRSSKiB: p.peakKiB,
			LogErrors: countLines(p.logPath, "level=ERROR")})
	}
	return nil
}

// splitTarget sends request seq to replica seq modulo their count.
type splitTarget []requester

func (t splitTarget) do(ctx context.Context, seq int64) error {
	return t[int(seq%int64(len(t)))].do(ctx, seq)
}

// newPGSchema creates an empty schema of its own in the database of base and
// returns base with that schema as its search_path, so that every set-up
// starts on a fresh store, and the function that drops it.
func newPGSchema(ctx context.Context, base string) (string, func() error, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("-pg: want a postgres:// url")
	}
	// pgx's own parse errors quote the URL, password and all.
	pc, err := pgx.ParseConfig(base)
	if err != nil {
		return "", nil, fmt.Errorf("-pg %s: invalid", u.Redacted())
	}
	schema := "bench_" + randHex(8)
	exec := func(ctx context.Context, sql string) error {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, pc)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", u.Redacted(), err)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("%s: %w", sql, err)
		}
		return nil
	}
	if err := exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	// Dropped even when the run was interrupted.
	drop := func() error { return exec(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE") }
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// pgRows compares each PostgreSQL set-up with the SQLite product row of the
// same run: closed-loop throughput, and the open loop's p99 at cfg.PGRate.
func pgRows(r *report) []pgRow {
	sq, okSQ := r.find("webhook", "webhook-mcp", "", "seed", "closed", 0)
	rate := r.Config.PGRate
	var out []pgRow
	for _, n := range []int{1, 2} {
		row := pgRow{Replicas: n}
		text := "PostgreSQL 1 replica: "
		if n > 1 {
			text = fmt.Sprintf("PostgreSQL %d replicas on one database: ", n)
		}
		p, ok := r.find("webhook", pgTarget(n), "", "seed", "closed", 0)
		switch {
		case !ok:
			text += notMeasured
		case okSQ:
			row.ThroughputRatio = round2(div(p.Throughput, sq.Throughput))
			text += fmt.Sprintf("%s, ratio to SQLite %.2fx (SQLite %s)", rpsText(p), row.ThroughputRatio, rpsText(sq))
		default:
			text += rpsText(p) + ", ratio to SQLite - (SQLite row not measured)"
		}
		if o, ok := r.find("webhook", pgTarget(n), "", "seed", "open", rate); ok && rate > 0 {
			text += fmt.Sprintf("; open loop %d req/s: p99 %.2f ms%s", rate, o.Latency.P99, failText(o, true))
			if so, ok := r.find("webhook", "webhook-mcp", "", "seed", "open", rate); ok {
				row.P99Ratio = round2(div(o.Latency.P99, so.Latency.P99))
				text += fmt.Sprintf(", SQLite p99 %.2f ms (%.1fx)", so.Latency.P99, row.P99Ratio)
			}
		}
		row.Text = text
		out = append(out, row)
	}
	return out
}

// printPG prints the PostgreSQL rows, or why there are none.
func (r *report) printPG(w io.Writer) {
	switch {
	case r.Postgres == nil:
		return
	case r.Postgres.Skipped != "":
		fmt.Fprintf(w, "\nPostgreSQL rows skipped: %s\n", r.Postgres.Skipped)
		return
	}
	fmt.Fprintln(w, "\nPostgreSQL (issue 13; informational, no target): signed seed webhook, closed loop, ratio = PostgreSQL / SQLite webhook-mcp in this run;")
	fmt.Fprintln(w, "PostgreSQL runs on the same cores, its CPU counted under 'other':")
	for _, row := range r.Postgres.Rows {
		fmt.Fprintln(w, row.Text)
	}
}
