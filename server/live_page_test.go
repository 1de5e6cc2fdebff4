package server

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestApprovalDecidedOnThePageNotifiesItsSubscriber: a reviewer rejects an
// approval with the page's form (session cookie and CSRF token), and the MCP
// session subscribed to approvals://<id> is told, on both protocol versions.
func TestApprovalDecidedOnThePageNotifiesItsSubscriber(t *testing.T) {
	t.Parallel()
	for _, tc := range liveTransports[:2] { // in-process on 2026-07-28 and 2025-11-25
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.ApprovalToken = "approval-page-token"
			e := newTestEnv(t, cfg)
			rcv, _ := newReceiver(t)
			lc := newLiveClient(t, tc.connect(t, e), versionOf(tc.name))
			id := requestApproval(t, lc.c, rcv.URL, map[string]any{"ok": true})
			lc.subscribe(t, approvalURIPrefix+id)
			before := len(lc.notes.updated())

			reviewer := browser(t)
			csrf := signIn(t, e, reviewer, cfg.ApprovalToken)
			resp, _ := fetch(t, reviewer, http.MethodPost, e.http.URL+"/approvals/"+id+"/reject",
				url.Values{"csrf": {csrf}, "reason": {"decided on the page"}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			require.Eventually(t, func() bool {
				for _, uri := range lc.notes.updated()[before:] {
					if uri == approvalURIPrefix+id {
						return true
					}
				}
				return false
			}, 5*time.Second, 5*time.Millisecond, "no update after the page's decision: %v", lc.notes.updated())
		})
	}
}
