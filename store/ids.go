package store

import (
	"encoding/json"
	"fmt"
	"strings"
)

// appendID adds id to list, a compact JSON array of strings as written by
// this function or json.Marshal, unless it is already there, and keeps at
// most maxIDs elements by dropping the oldest (first). It works on the JSON
// text without decoding it: a node mentioned by many webhooks carries a full
// list, and decoding it on every merge dominated the merge's cost.
func appendID(list, id string, maxIDs int) (string, error) {
	qb, err := json.Marshal(id)
	if err != nil {
		return "", err
	}
	q := string(qb)
	list = strings.TrimSpace(list)
	if list == "" || list == "[]" {
		return "[" + q + "]", nil
	}
	if out, ok := appendIDFast(list, id, q, maxIDs); ok {
		return out, nil
	}
	return appendIDScan(list, q, maxIDs)
}

// appendIDScan is appendID for any list: it finds the element boundaries with
// a scan that tracks strings and escapes. q is the JSON-encoded id.
func appendIDScan(list, q string, maxIDs int) (string, error) {
	if len(list) < 2 || list[0] != '[' || list[len(list)-1] != ']' {
		return "", fmt.Errorf("webhook ids %.40q: not a JSON array", list)
	}
	// Element boundaries: the commas outside strings. starts[i] is where the
	// i-th element begins.
	starts := make([]int, 1, 16)
	starts[0] = 1
	inString, escaped := false, false
	for i := 1; i < len(list)-1; i++ {
		c := list[i]
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && c == ',':
			starts = append(starts, i+1)
		}
	}
	if inString {
		return "", fmt.Errorf("webhook ids %.40q: unterminated string", list)
	}
	for i, start := range starts {
		end := len(list) - 1
		if i+1 < len(starts) {
			end = starts[i+1] - 1
		}
		if strings.TrimSpace(list[start:end]) == q {
			return list, nil
		}
	}
	body := list[1 : len(list)-1]
	if drop := len(starts) + 1 - maxIDs; drop > 0 {
		if drop >= len(starts) {
			return "[" + q + "]", nil
		}
		body = list[starts[drop] : len(list)-1]
	}
	return "[" + body + "," + q + "]", nil
}

// appendIDFast handles the common case, ids such as UUIDs that JSON encodes
// without escapes, commas or quotes, with byte counts instead of a scan: then
// every quote of the list delimits an element and every comma separates two.
// It reports false when the case does not apply.
func appendIDFast(list, id, q string, maxIDs int) (string, bool) {
	if len(q) != len(id)+2 || strings.ContainsAny(id, `",\`) || strings.IndexByte(list, '\\') >= 0 {
		return "", false
	}
	quotes := strings.Count(list, `"`)
	n := quotes / 2
	if quotes%2 != 0 || n == 0 || strings.Count(list, ",") != n-1 || strings.Count(list, `","`) != n-1 ||
		!strings.HasPrefix(list, `["`) || !strings.HasSuffix(list, `"]`) {
		return "", false
	}
	if strings.Contains(list, q) {
		return list, true
	}
	body := list[1 : len(list)-1]
	for drop := n + 1 - maxIDs; drop > 0; drop-- {
		i := strings.Index(body, `","`)
		if i < 0 {
			return "[" + q + "]", true
		}
		body = body[i+2:]
	}
	return "[" + body + "," + q + "]", true
}
