package webhook

import "encoding/json"

// DecodePayload checks a raw webhook body (see CheckPayload) and decodes it into
// a JSON object, as the actions do after the HTTP edge checked it: the tests and
// FuzzDecodePayload hold the two together.
func DecodePayload(raw []byte) (map[string]any, error) {
	if err := CheckPayload(raw); err != nil {
		return nil, err
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, InvalidPayload("body is not valid JSON: %v", err)
	}
	return data, nil
}
