package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on the shape of a payload, checked before it is decoded.
const (
	// MaxPayloadDepth is how deeply objects and arrays may nest.
	MaxPayloadDepth = 64
	// MaxArrayLength is how many elements one array may have.
	MaxArrayLength = 10000
)

// DecodePayload checks a raw webhook body and decodes it into a JSON object in
// the same pass: it must be valid UTF-8 and JSON, a JSON object, nested no
// deeper than MaxPayloadDepth, with no array longer than MaxArrayLength (a
// failure is an ErrInvalidPayload). Numbers stay json.Number so that an id of
// any size keeps every digit.
func DecodePayload(raw []byte) (map[string]any, error) {
	trimmed := bytes.TrimSpace(raw)
	switch {
	case len(trimmed) == 0:
		return nil, InvalidPayload("body is empty; send a JSON object")
	case !utf8.Valid(trimmed):
		return nil, InvalidPayload("body is not valid UTF-8")
	case trimmed[0] != '{':
		return nil, InvalidPayload("body must be a JSON object")
	}
	if err := checkShape(trimmed, MaxPayloadDepth, MaxArrayLength); err != nil {
		return nil, err
	}
	return decodeObject(trimmed)
}

// decodeObject decodes one JSON object and nothing after it.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var data map[string]any
	if err := dec.Decode(&data); err != nil {
		return nil, InvalidPayload("body is not valid JSON: %s", syntaxMessage(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, InvalidPayload("body is not valid JSON: unexpected data after the object")
	}
	if data == nil {
		return nil, InvalidPayload("body must be a JSON object")
	}
	return data, nil
}

// syntaxMessage says where a JSON body goes wrong, without Go type names.
func syntaxMessage(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the body ends before the JSON object does"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// ClientIDOf returns the payload's client_id: explicit when non-empty, else the
// payload's own "client_id". A client_id that is present but not a string or
// number is an ErrInvalidPayload; an absent one is an ErrMissingFields.
func ClientIDOf(explicit string, data map[string]any) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	v, ok := data["client_id"]
	if !ok || v == nil {
		return "", MissingFields("client_id")
	}
	id, ok := scalarID(v)
	if !ok {
		return "", InvalidPayload("client_id must be a string")
	}
	if id == "" {
		return "", MissingFields("client_id")
	}
	return id, nil
}

// ValidatePayload checks the fields every client payload needs: a client_id
// (explicit or in the payload) and, when a task is present, task.id. It returns
// the client id.
func ValidatePayload(explicitClientID string, data map[string]any) (string, error) {
	if data == nil {
		return "", InvalidPayload("webhook_data must be a JSON object")
	}
	var missing []string
	clientID, err := ClientIDOf(explicitClientID, data)
	if err != nil {
		if !errors.Is(err, ErrMissingFields) {
			return "", err
		}
		missing = append(missing, "client_id")
	}
	if task, present := data["task"]; present && task != nil {
		obj, ok := task.(map[string]any)
		if !ok {
			return "", InvalidPayload("task must be a JSON object")
		}
		id, hasID := obj["id"]
		if !hasID || id == nil {
			missing = append(missing, "task.id")
		} else if s, ok := scalarID(id); !ok {
			return "", InvalidPayload("task.id must be a string or a number")
		} else if s == "" {
			missing = append(missing, "task.id")
		}
	}
	if len(missing) > 0 {
		return "", MissingFields(missing...)
	}
	return clientID, nil
}

// StringField returns data[key] when it is a string, else "".
func StringField(data map[string]any, key string) string {
	s, _ := data[key].(string)
	return s
}

// scalarID renders a string or JSON number id as a string.
func scalarID(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case json.Number:
		return t.String(), true
	}
	return "", false
}

// checkShape scans raw JSON once, without decoding it, and rejects nesting
// deeper than maxDepth and arrays of more than maxArray elements. It is exact
// for valid JSON; on invalid JSON it only promises not to panic (the decoder
// that runs next reports the syntax error).
func checkShape(raw []byte, maxDepth, maxArray int) error {
	var (
		stack  = make([]int, 0, 16) // per open container: -1 for an object, else commas seen in the array
		inStr  bool
		escape bool
	)
	for _, c := range raw {
		if inStr {
			switch {
			case escape:
				escape = false
			case c == '\\':
				escape = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			if len(stack) >= maxDepth {
				return InvalidPayload("body nests objects and arrays deeper than %d levels", maxDepth)
			}
			n := -1
			if c == '[' {
				n = 0
			}
			stack = append(stack, n)
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if top := len(stack) - 1; top >= 0 && stack[top] >= 0 {
				stack[top]++
				if stack[top]+1 > maxArray {
					return InvalidPayload("body has an array of more than %d elements", maxArray)
				}
			}
		}
	}
	return nil
}
