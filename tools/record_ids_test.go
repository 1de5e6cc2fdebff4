package tools

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordIDsRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, id string
		ref      recordRef
	}{
		{"client", "client:client-123", recordRef{kind: recordClient, clientID: "client-123"}},
		{"task", "task:client-123:task_123", recordRef{kind: recordTask, clientID: "client-123", key: "task_123"}},
		{"colons and slashes are escaped", "person:acme%3Aeu%2F1:u%3A7",
			recordRef{kind: recordPerson, clientID: "acme:eu/1", key: "u:7"}},
		{"event", "event:9b1d", recordRef{kind: recordEvent, key: "9b1d"}},
		{"approval", "approval:a-1", recordRef{kind: recordApproval, key: "a-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parts := []string{tc.ref.key}
			switch tc.ref.kind {
			case recordClient:
				parts = []string{tc.ref.clientID}
			case recordTask, recordPerson:
				parts = []string{tc.ref.clientID, tc.ref.key}
			}
			assert.Equal(t, tc.id, recordID(tc.ref.kind, parts...))
			got, err := parseRecordID(tc.id)
			require.NoError(t, err)
			assert.Equal(t, tc.ref, got)
		})
	}
	for _, bad := range []string{"", "task", "task:c", "client:", "client:a:b", "event:%zz", "status:c:open", "approval::"} {
		_, err := parseRecordID(bad)
		assert.Error(t, err, bad)
	}
}

func TestNodeRecordIDs(t *testing.T) {
	t.Parallel()
	id, ok := nodeRecordID("c:1", "task:t:9")
	require.True(t, ok)
	assert.Equal(t, "task:c%3A1:t%3A9", id)
	_, ok = nodeRecordID("c", "status:open")
	assert.False(t, ok, "only clients, tasks and people are records")
	assert.Equal(t, "https://h.test/api/clients/c:1/graph#task:t:9",
		recordURL("https://h.test/", recordRef{kind: recordTask, clientID: "c:1", key: "t:9"}))
}
