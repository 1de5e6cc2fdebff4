package store

import (
	"fmt"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// resultRows is what database/sql's *sql.Rows and pgx.Rows have in common:
// the SQLite and PostgreSQL stores read their results through the same code.
type resultRows interface {
	rowScanner
	Next() bool
	Err() error
}

// collect reads every row with scan, in order; the caller closes rows.
func collect[T any](rows resultRows, scan func(r rowScanner, n int) (T, error)) ([]T, error) {
	out := []T{}
	for rows.Next() {
		v, err := scan(rows, len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// approvalEventCols and approvalAttemptCols are read by scanApprovalEvent and
// scanAttempt.
const (
	approvalEventCols   = `at, from_state, to_state, actor, reason`
	approvalAttemptCols = `at, status_code, latency_ms, error, response`
)

// scanApprovalEvent reads a row of approvalEventCols of request id.
func scanApprovalEvent(id string) func(r rowScanner, _ int) (approval.Event, error) {
	return func(r rowScanner, _ int) (approval.Event, error) {
		var ev approval.Event
		var at int64
		var from, to string
		if err := r.Scan(&at, &from, &to, &ev.Actor, &ev.Reason); err != nil {
			return ev, err
		}
		ev.ApprovalID, ev.At, ev.From, ev.To = id, decTime(at), approval.State(from), approval.State(to)
		return ev, nil
	}
}

// scanAttempt reads a row of approvalAttemptCols, the n-th (from 0) of its request.
func scanAttempt(r rowScanner, n int) (approval.Attempt, error) {
	var a approval.Attempt
	var at int64
	if err := r.Scan(&at, &a.StatusCode, &a.LatencyMS, &a.Error, &a.Response); err != nil {
		return a, err
	}
	a.N, a.At = n+1, decTime(at)
	return a, nil
}

// scanApprovalRow and scanEventRow adapt the row readers to collect.
func scanApprovalRow(r rowScanner, _ int) (approval.Request, error) { return scanApproval(r) }
func scanEventRow(r rowScanner, _ int) (webhook.InboxEvent, error)  { return scanEvent(r) }

// scanNode reads a row of nodeCols.
func scanNode(r rowScanner, _ int) (clientNode, error) {
	var (
		n                   clientNode
		props, ids          string
		firstSeen, lastSeen int64
	)
	if err := r.Scan(&n.clientID, &n.ID, &n.Type, &n.Label, &props, &firstSeen, &lastSeen, &ids); err != nil {
		return n, fmt.Errorf("read node: %w", err)
	}
	if err := decodeProvenance(props, ids, &n.Properties, &n.WebhookIDs); err != nil {
		return n, fmt.Errorf("read node %s: %w", n.ID, err)
	}
	n.FirstSeen, n.LastSeen = decTime(firstSeen), decTime(lastSeen)
	return n, nil
}

// scanRelationship reads a row of relCols.
func scanRelationship(row rowScanner, _ int) (graph.StoredRelationship, error) {
	var (
		r                    graph.StoredRelationship
		clientID, props, ids string
		firstSeen, lastSeen  int64
	)
	if err := row.Scan(&clientID, &r.Source, &r.Target, &r.Type, &props, &firstSeen, &lastSeen, &ids); err != nil {
		return r, fmt.Errorf("read relationship: %w", err)
	}
	if err := decodeProvenance(props, ids, &r.Properties, &r.WebhookIDs); err != nil {
		return r, fmt.Errorf("read relationship %s-%s->%s: %w", r.Source, r.Type, r.Target, err)
	}
	r.FirstSeen, r.LastSeen = decTime(firstSeen), decTime(lastSeen)
	return r, nil
}
