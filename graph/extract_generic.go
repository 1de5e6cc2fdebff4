package graph

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The generic walk reads payloads of unknown shape: every object with an "id"
// (a non-empty string or a number) becomes a node whose type is the key it
// appeared under, singularised ("contacts" → "contact"; "entity" when there is
// no usable key), labelled by its name, title, label or username, with its
// scalar members as properties. It is linked from the nearest enclosing node
// (the client at the top level) by HAS_<TYPE>. Objects without an id are
// looked through; arrays take the key they appeared under. An object found
// under "task" or "tasks" is read as a task.

// maxTypeLen bounds the length of a node type taken from a key.
const maxTypeLen = 64

// walkObject walks the members of m, in key order, from node parent, skipping
// the keys for which skip (when not nil) is true. Scalars are not walked.
func (x *extractor) walkObject(m map[string]any, parent, depth int, skip func(string) bool) {
	var buf [16]string
	keys := buf[:0]
	for k, v := range m {
		if skip != nil && skip(k) {
			continue
		}
		switch v.(type) {
		case map[string]any, []any:
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.Sort(keys)
	for _, k := range keys {
		x.walk(k, m[k], parent, depth+1)
	}
}

// walk reads value v found under key from node parent at nesting depth.
func (x *extractor) walk(key string, v any, parent, depth int) {
	if depth > maxExtractDepth || len(x.nodes) >= maxExtractNodes {
		return
	}
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			x.walk(key, e, parent, depth+1)
		}
	case map[string]any:
		id, ok := naturalID(v["id"])
		if !ok {
			x.walkObject(v, parent, depth, nil)
			return
		}
		typ := nodeType(key)
		if typ == "task" {
			x.task(v, depth, parent, RelHasTask)
			return
		}
		n := x.node(typ, id, label(v), min(len(v), 8))
		if n < 0 {
			return
		}
		x.edge(parent, n, x.hasType(typ), nil)
		for k, s := range v {
			switch s.(type) {
			case string, float64, bool, json.Number:
				x.set(n, k, s)
			}
		}
		x.walkObject(v, n, depth, nil)
	}
}

// label is the human-readable name of a generic object, or "" to use its id.
func label(m map[string]any) string {
	for _, k := range [...]string{"name", "title", "label", "username"} {
		if s := text(m[k]); s != "" {
			return s
		}
	}
	return ""
}

// nodeType derives a node type from a key: lowercased and roughly singular.
func nodeType(key string) string {
	if key == "" || len(key) > maxTypeLen {
		return "entity"
	}
	key = strings.ToLower(key)
	switch {
	case strings.HasSuffix(key, "ies") && len(key) > 3:
		return key[:len(key)-3] + "y"
	case strings.HasSuffix(key, "sses"), strings.HasSuffix(key, "xes"):
		return key[:len(key)-2]
	case strings.HasSuffix(key, "ss"), strings.HasSuffix(key, "us"), strings.HasSuffix(key, "is"):
		return key
	case strings.HasSuffix(key, "s") && len(key) > 1:
		return key[:len(key)-1]
	}
	return key
}

// hasType returns the edge type HAS_<TYPE> of a generic node type: uppercase,
// with every character other than a letter or a digit replaced by "_".
func (x *extractor) hasType(typ string) string {
	if r, ok := x.edgeTypes[typ]; ok {
		return r
	}
	if x.edgeTypes == nil {
		x.edgeTypes = make(map[string]string, 4)
	}
	b := make([]byte, 0, 4+len(typ))
	b = append(b, "HAS_"...)
	for i := 0; i < len(typ); i++ {
		c := typ[i]
		switch {
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		default:
			c = '_'
		}
		b = append(b, c)
	}
	r := string(b)
	x.edgeTypes[typ] = r
	return r
}

// firstOf returns the first non-nil value of m among keys.
func firstOf(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v := m[k]; v != nil {
			return v
		}
	}
	return nil
}

// naturalID reports whether v can be the natural part of a node id.
func naturalID(v any) (any, bool) {
	switch t := v.(type) {
	case string:
		return v, t != "" // v, not t: returning t would box the string again
	case json.Number:
		return v, t != ""
	case float64, int, int64:
		return v, true
	}
	return nil, false
}

// appendNatural appends the text of a natural id: a non-empty string or a number.
func appendNatural(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case string:
		return append(b, v...), v != ""
	case float64:
		return appendFloat(b, v), true
	case json.Number:
		return append(b, v...), v != ""
	case int:
		return strconv.AppendInt(b, int64(v), 10), true
	case int64:
		return strconv.AppendInt(b, v, 10), true
	}
	return b, false
}

// appendFloat writes integral numbers without exponent or fraction (ClickUp user ids).
func appendFloat(b []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e18 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendLower appends s lowercased, without allocating when s is ASCII.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return append(b, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// toInt converts a whole number given as a JSON number or a decimal string.
func toInt(v any) (int64, bool) {
	switch v := v.(type) {
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return 0, false
		}
		return int64(v), true
	case int:
		return int64(v), true
	case int64:
		return v, true
	}
	return 0, false
}

// toFloat converts a JSON number or a numeric string.
func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// text returns v when it is a non-empty string.
func text(v any) string {
	s, _ := v.(string)
	return s
}
