package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/webhook-mcp/webhook-mcp/live"
)

var _ live.Feed = (*PGChangeFeed)(nil)

// maxNotifyPayload keeps a NOTIFY payload under PostgreSQL's 8000-byte limit.
const maxNotifyPayload = 7000

// PGChangeFeed carries live changes between the replicas of one PostgreSQL
// database with LISTEN/NOTIFY, on a channel of the store's schema (replicas
// of other deployments in other schemas of the database do not hear them).
// Each feed has an origin id: Run skips the notifications of its own feed.
type PGChangeFeed struct {
	pool    *pgxpool.Pool
	channel string
	origin  string

	listenOnce sync.Once
	listening  chan struct{}
}

// feedMessage is one NOTIFY payload.
type feedMessage struct {
	Origin  string        `json:"origin"`
	Changes []live.Change `json:"changes"`
}

// ChangeFeed returns a change feed on the store's database: Broadcast sends
// NOTIFY through the pool; Run holds a connection of its own for LISTEN.
func (p *Postgres) ChangeFeed(ctx context.Context) (*PGChangeFeed, error) {
	var schema string
	if err := p.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("store change feed: %w", err)
	}
	return &PGChangeFeed{pool: p.pool, channel: changeChannel(schema), origin: uuid.NewString(),
		listening: make(chan struct{})}, nil
}

// changeChannel is the NOTIFY channel of a schema: its name when the
// channel's fits PostgreSQL's 63-byte identifiers, else a hash of it.
func changeChannel(schema string) string {
	const prefix = "webhook_mcp_changes:"
	if len(prefix)+len(schema) <= 63 {
		return prefix + schema
	}
	sum := sha256.Sum256([]byte(schema))
	return prefix + hex.EncodeToString(sum[:16])
}

// Listening is closed once Run listens for the first time.
func (f *PGChangeFeed) Listening() <-chan struct{} { return f.listening }

// Run listens on the feed's channel and publishes the changes other feeds
// broadcast, until ctx ends or the connection fails.
func (f *PGChangeFeed) Run(ctx context.Context, publish func(live.Change)) error {
	pooled, err := f.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("change feed: connect: %w", err)
	}
	// A listening connection is no longer fit for the pool.
	conn := pooled.Hijack()
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{f.channel}.Sanitize()); err != nil {
		return fmt.Errorf("change feed: listen: %w", err)
	}
	f.listenOnce.Do(func() { close(f.listening) })
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("change feed: %w", err)
		}
		var msg feedMessage
		if json.Unmarshal([]byte(n.Payload), &msg) != nil || msg.Origin == f.origin {
			continue
		}
		for _, c := range msg.Changes {
			publish(c)
		}
	}
}

// Broadcast notifies the other feeds of changes, in as few NOTIFY payloads
// as fit; a change too large for one payload on its own is left out.
func (f *PGChangeFeed) Broadcast(ctx context.Context, changes []live.Change) error {
	batch := feedMessage{Origin: f.origin}
	size := 0
	flush := func() error {
		if len(batch.Changes) == 0 {
			return nil
		}
		b, err := json.Marshal(batch)
		if err != nil {
			return err
		}
		batch.Changes, size = batch.Changes[:0], 0
		if _, err := f.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, f.channel, string(b)); err != nil {
			return fmt.Errorf("change feed: notify: %w", err)
		}
		return nil
	}
	for _, c := range changes {
		enc, err := json.Marshal(c)
		if err != nil || len(enc) > maxNotifyPayload/2 {
			continue
		}
		n := len(enc) + 1
		if size+n > maxNotifyPayload {
			if err := flush(); err != nil {
				return err
			}
		}
		batch.Changes, size = append(batch.Changes, c), size+n
	}
	return flush()
}
