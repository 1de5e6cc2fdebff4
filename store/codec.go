package store

import (
	"database/sql"
	"encoding/json"
	"strings"
	"time"
)

// Times are stored as INTEGER nanoseconds since the Unix epoch (UTC): ordering
// and range filters are integer comparisons on an index, and no precision is
// lost. The zero time.Time is stored as 0 and read back as the zero time. A
// column for an optional time holds NULL when it is unset.
func encTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// decTime is the inverse of encTime; times come back in UTC.
func decTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// encTimePtr encodes an optional time: nil or zero is NULL.
func encTimePtr(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// decTimePtr decodes an optional time.
func decTimePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := decTime(n.Int64)
	return &t
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// clampLimit applies a default for limit <= 0 and a maximum.
func clampLimit(limit, def, maxLimit int) int {
	if limit <= 0 {
		return def
	}
	return min(limit, maxLimit)
}

// likePattern is a LIKE pattern matching s anywhere, with the wildcards % and _
// (and the escape character itself) in s matched literally.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// jsonList encodes a string list as a JSON array for json_each(?) parameters.
func jsonList(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ss) // a []string always encodes
	return string(b)
}
