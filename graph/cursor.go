package graph

import (
	"encoding/base64"
	"errors"
	"strings"
)

// cursorPrefix versions the cursor's format, so that a future format can tell
// an old cursor from its own.
const cursorPrefix = "n1:"

// errBadCursor is returned for a cursor that no page handed out.
var errBadCursor = errors.New("not a next_cursor of an earlier page")

// EncodeCursor returns the opaque cursor of the page that starts after the
// node with id afterNodeID (in node id order). It is URL-safe base64, so it
// can be put in a query string or a kg:// URI as it is.
func EncodeCursor(afterNodeID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + afterNodeID))
}

// DecodeCursor returns the node id a cursor from EncodeCursor starts after; ""
// for the empty cursor (the first page).
func DecodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", errBadCursor
	}
	after, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok || after == "" {
		return "", errBadCursor
	}
	return after, nil
}
