package webhook

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodePayloadLimits(t *testing.T) {
	t.Parallel()
	nest := func(n int) string {
		return `{"a":` + strings.Repeat(`[`, n-1) + strings.Repeat(`]`, n-1) + `}`
	}
	array := func(n int) string {
		return `{"a":[` + strings.TrimSuffix(strings.Repeat(`1,`, n), ",") + `]}`
	}
	cases := []struct {
		name   string
		body   string
		reason string // "" means accepted
	}{
		{"depth at the limit", nest(MaxPayloadDepth), ""},
		{"depth over the limit", nest(MaxPayloadDepth + 1), "deeper than 64"},
		{"very deep", `{"a":` + strings.Repeat(`{"a":`, 100000), "deeper than 64"},
		{"array at the limit", array(MaxArrayLength), ""},
		{"array over the limit", array(MaxArrayLength + 1), "more than 10000 elements"},
		{"commas in strings do not count", `{"a":["` + strings.Repeat(",", 2*MaxArrayLength) + `"]}`, ""},
		{"brackets in strings do not count", `{"a":"` + strings.Repeat("[", 200) + `\"["}`, ""},
		{"object keys are not elements", `{` + strings.TrimSuffix(strings.Repeat(`"k":1,`, MaxArrayLength+5), ",") + `}`, "duplicate"},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "not valid UTF-8"},
		{"truncated UTF-8", "{\"a\":\"\xe2\x82\"}", "not valid UTF-8"},
		{"not an object", `[1,2]`, "must be a JSON object"},
		{"not JSON", `{"a":`, "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := DecodePayload([]byte(tc.body))
			switch {
			case tc.reason == "":
				require.NoError(t, err)
				assert.NotNil(t, data)
			case tc.reason == "duplicate":
				// repeated keys in an object are legal JSON and never hit the array cap
				require.NoError(t, err)
			default:
				require.Error(t, err)
				assert.True(t, errors.Is(err, ErrInvalidPayload), "%v", err)
				assert.Contains(t, err.Error(), tc.reason)
			}
		})
	}
}
