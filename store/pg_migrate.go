package store

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
)

//go:embed pgmigrations/*.sql
var pgMigrationFS embed.FS

// pgMigrateLock is the first key of the advisory lock that serializes
// migrations; the second is the hash of the schema being migrated, so that
// schemas of one database migrate independently.
const pgMigrateLock = 0x77686d63 // "whmc"

// pgMigrations returns PostgreSQL's embedded migrations in version order. Their
// versions count apart from SQLite's.
func pgMigrations() ([]migration, error) { return loadMigrations(pgMigrationFS, "pgmigrations") }

// migrate applies the pending migrations in one transaction (PostgreSQL's DDL
// is transactional) holding an advisory lock, so that replicas starting at once
// apply each migration once and none sees a half-migrated schema. A database
// migrated by a newer binary is refused.
func (p *Postgres) migrate(ctx context.Context) error {
	ms, err := pgMigrations()
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].version
	var applied []migration
	err = p.write(ctx, func(tx pgx.Tx) error {
		applied = applied[:0]
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))`,
			pgMigrateLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at BIGINT  NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var cur int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
			return fmt.Errorf("schema version: %w", err)
		}
		if cur > latest {
			return fmt.Errorf("database schema version %d is newer than this binary supports (%d)", cur, latest)
		}
		for _, m := range ms {
			if m.version <= cur {
				continue
			}
			// No arguments: the simple protocol, which runs a file of statements.
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				m.version, encTime(p.now())); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			applied = append(applied, m)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store migrate %s: %w", p.name, err)
	}
	for _, m := range applied {
		p.log.Info("store migration applied", "version", m.version, "name", m.name, "url", p.name)
	}
	return nil
}

// SchemaVersion returns the highest migration applied to the database.
func (p *Postgres) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := p.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v, nil
}
