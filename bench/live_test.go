package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLiveCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		live *liveResult
		pass bool
	}{
		{"not run", nil, false},
		{"5% slower meets 10%", &liveResult{NoneP50: 2, NoneP99: 10, SubsP50: 2.1, SubsP99: 10.5, UpdatesMin: 12, UpdatesMax: 13}, true},
		{"faster meets", &liveResult{NoneP50: 2, NoneP99: 10, SubsP50: 1.8, SubsP99: 9, UpdatesMin: 12, UpdatesMax: 12}, true},
		{"p50 20% slower misses", &liveResult{NoneP50: 2, NoneP99: 10, SubsP50: 2.4, SubsP99: 10, UpdatesMin: 12, UpdatesMax: 12}, false},
		{"p99 20% slower misses", &liveResult{NoneP50: 2, NoneP99: 10, SubsP50: 2, SubsP99: 12, UpdatesMin: 12, UpdatesMax: 12}, false},
		{"errors miss", &liveResult{NoneP50: 2, NoneP99: 10, SubsP50: 2, SubsP99: 10, UpdatesMin: 12, UpdatesMax: 12, Errors: 1}, false},
		{"no update received misses", &liveResult{NoneP50: 2, NoneP99: 10, SubsP50: 2, SubsP99: 10}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &report{Config: config{LiveRate: 1000, LiveSessions: 16}, Live: tc.live}
			c := liveCheck(r)
			assert.Equal(t, tc.pass, c.Pass, "%+v", c)
			assert.Contains(t, c.Target, "1000/s for one client, 16 sessions subscribed")
		})
	}
}
