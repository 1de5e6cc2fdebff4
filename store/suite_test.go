package store_test

import (
	"testing"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store/storetest"
)

// TestSQLite runs the shared store suite on SQLite, each test on a file of its
// own.
func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, sqliteURL)
}

// TestPostgres runs the shared store suite on the PostgreSQL database of
// TEST_DATABASE_URL (scripts/pg.sh starts one), each test in a schema of its
// own. Without it the suite is skipped, and fails in CI.
func TestPostgres(t *testing.T) {
	t.Parallel()
	testkit.RequirePostgres(t)
	storetest.Run(t, testkit.PostgresURL)
}
