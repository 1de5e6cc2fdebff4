package store

// LatestSchemaVersion is the schema version this binary migrates to; only the
// tests ask.
func LatestSchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// LatestPostgresSchemaVersion is the PostgreSQL schema version this binary
// migrates to; only the tests ask.
func LatestPostgresSchemaVersion() int {
	ms, err := pgMigrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}
