package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// call is one Registry.Call in progress.
type call struct {
	r         *Registry
	a         Action
	req       Request
	inv       Invocation
	key       string // idempotency key; empty when not deduplicated
	notBefore time.Time
	body      []byte // what the inbox records
	hash      string // bodyHash(body), when keyed
	log       *slog.Logger
}

func (r *Registry) newCall(a Action, req Request) *call {
	inv := req.Invocation
	if inv.CallID == "" {
		inv.CallID = uuid.NewString()
	}
	if inv.ReceivedAt.IsZero() {
		inv.ReceivedAt = r.cfg.Now().UTC()
	}
	c := &call{r: r, a: a, req: req, inv: inv, body: req.RawBody}
	if c.body == nil {
		c.body = req.Input
	}
	if req.IdempotencyKey != "" && req.KeyWindow > 0 {
		c.key, c.notBefore, c.hash = req.IdempotencyKey, inv.ReceivedAt.Add(-req.KeyWindow), bodyHash(c.body)
	}
	idAttr := "call_id"
	if inv.Kind == webhook.KindWebhook {
		idAttr = "webhook_id"
	}
	c.log = r.cfg.Logger.With(idAttr, inv.CallID, "action", req.Action, "kind", inv.Kind, "source", inv.Source)
	return c
}

func (c *call) flight() flight { return flight{callID: c.inv.CallID, bodySHA256: c.hash} }

// repeatOfFlight answers a repeat of a call still running in this process.
func (c *call) repeatOfFlight(prev flight) (Outcome, error) {
	if prev.bodySHA256 != c.hash {
		c.log.Info("idempotency key reused with another body", "first_call_id", prev.callID)
		return Outcome{CallID: c.inv.CallID}, webhook.ErrKeyReused
	}
	c.log.Info("repeat of a request still in progress", "first_call_id", prev.callID)
	return Outcome{CallID: prev.callID, Replayed: true}, webhook.ErrInProgress
}

// runUnrecorded runs a read-only tool call: logged, not written.
func (c *call) runUnrecorded(ctx context.Context) (Outcome, error) {
	start := time.Now()
	res, err := c.run(ctx)
	out := Outcome{CallID: c.inv.CallID}
	if err == nil {
		out.Result, err = encodeOutput(res.Output)
	}
	c.logEnd(ctx, err, time.Since(start))
	return out, err
}

// runThenRecord runs a call whose effects stay in the store, then records it
// with its result and effects in one write.
func (c *call) runThenRecord(ctx context.Context) (Outcome, error) {
	start := time.Now()
	res, callErr := c.run(ctx)
	out, comp, callErr := c.complete(res, callErr, time.Since(start))
	ev := c.event()
	ev.ClientID = c.clientID(res)
	out.ClientID = ev.ClientID
	prev, err := c.r.cfg.Inbox.RecordEvent(ctx, ev, comp, c.notBefore)
	if err != nil {
		return c.storeFailed(ctx, "record", err)
	}
	if prev != nil { // a repeat that finished first, here or on another replica
		return c.replay(prev)
	}
	c.committed(ev.ClientID, comp)
	c.logEnd(ctx, callErr, comp.Duration)
	return out, callErr
}

// recordThenRun records a call in flight, acts, and completes the record.
func (c *call) recordThenRun(ctx context.Context) (Outcome, error) {
	ev := c.event()
	ev.ClientID = c.clientID(Result{})
	ev.Owner = c.r.cfg.Owner
	ev.Deadline = c.inv.ReceivedAt.Add(c.r.cfg.Timeout + c.r.cfg.DeadlineMargin)
	prev, err := c.r.cfg.Inbox.BeginEvent(ctx, ev, c.notBefore)
	if err != nil {
		return c.storeFailed(ctx, "record", err)
	}
	if prev != nil {
		return c.replay(prev)
	}
	c.committed(ev.ClientID, webhook.Completion{State: webhook.StateReceived})
	start := time.Now()
	res, callErr := c.run(ctx)
	if callErr == nil && res.Effects.Approval != nil {
		callErr = c.requestApproval(ctx, &res)
	}
	out, comp, callErr := c.complete(res, callErr, time.Since(start))
	out.ClientID = ev.ClientID
	if err := c.r.cfg.Inbox.CompleteEvent(ctx, c.inv.CallID, comp); err != nil {
		// The entry stays in flight under this process's name: the next
		// repeat finds it abandoned and runs again.
		return c.storeFailed(ctx, "complete", err)
	}
	c.committed(ev.ClientID, comp)
	c.logEnd(ctx, callErr, comp.Duration)
	return out, callErr
}

// requestApproval creates the approval request a gated action drafted; the
// call's output is then the pending request.
func (c *call) requestApproval(ctx context.Context, res *Result) error {
	if c.r.cfg.Approvals == nil {
		return errors.New("no approval service is configured for gated actions")
	}
	ar, err := c.r.cfg.Approvals.Request(ctx, *res.Effects.Approval)
	if err != nil {
		return err
	}
	res.Output = pendingApprovalOf(ar)
	return nil
}

// complete turns a call's result or error into its outcome and its record.
func (c *call) complete(res Result, callErr error, d time.Duration) (Outcome, webhook.Completion, error) {
	out := Outcome{CallID: c.inv.CallID}
	comp := webhook.Completion{State: webhook.StateProcessed, Duration: d, At: c.r.cfg.Now().UTC()}
	if callErr == nil {
		out.Result, callErr = encodeOutput(res.Output)
	}
	if callErr != nil {
		// The record keeps what a caller may see (list_webhook_events shows it);
		// the Go error text is in the log under the call id.
		e := ErrorOf(callErr)
		comp.State, comp.ErrorCode, comp.ErrorMessage, comp.ErrorFields = webhook.StateFailed, e.Code, e.Message, e.Fields
		comp.ReleaseKey = !IsUserError(callErr) // a retry after a server-side failure runs again
		return Outcome{CallID: c.inv.CallID}, comp, callErr
	}
	comp.Result, comp.Graph = out.Result, res.Effects.Graph
	return out, comp, nil
}

// committed tells the registry's observer of an inbox write that committed.
func (c *call) committed(clientID string, comp webhook.Completion) {
	if c.r.cfg.OnCommitted == nil {
		return
	}
	ev := Committed{CallID: c.inv.CallID, Kind: c.inv.Kind, State: comp.State, ClientID: clientID}
	if comp.Graph != nil {
		ev.GraphClientID = comp.Graph.ClientID
	}
	c.r.cfg.OnCommitted(ev)
}

// event is the call's inbox entry, before its outcome.
func (c *call) event() webhook.InboxEvent {
	return webhook.InboxEvent{ID: c.inv.CallID, IdempotencyKey: c.key, Kind: c.inv.Kind, Source: c.inv.Source,
		Route: c.inv.Route, ReceivedAt: c.inv.ReceivedAt, Headers: c.req.Headers, Body: c.body,
		BodySHA256: c.hash, State: webhook.StateReceived, ReplayOf: c.req.ReplayOf}
}

// clientID is the request's client id, else the merged graph's, else the
// input's client_id as exact text.
func (c *call) clientID(res Result) string {
	switch {
	case c.req.ClientID != "":
		return c.req.ClientID
	case res.Effects.Graph != nil && res.Effects.Graph.ClientID != "":
		return res.Effects.Graph.ClientID
	case c.inv.Payload != nil:
		id, _ := webhook.ClientIDOf("", c.inv.Payload)
		return id
	}
	return clientIDOf(c.req.Input)
}

// replay turns a stored inbox entry into the outcome of its first call.
func (c *call) replay(prev *webhook.InboxEvent) (Outcome, error) {
	out := Outcome{CallID: prev.ID, ClientID: prev.ClientID, Replayed: true}
	if prev.BodySHA256 != "" && prev.BodySHA256 != c.hash {
		c.log.Info("idempotency key reused with another body", "first_call_id", prev.ID)
		return Outcome{CallID: c.inv.CallID}, webhook.ErrKeyReused
	}
	switch prev.State {
	case webhook.StateReceived:
		c.log.Info("repeat of a request still in progress", "first_call_id", prev.ID)
		return out, webhook.ErrInProgress
	case webhook.StateFailed:
		c.log.Info("replayed stored failure", "first_call_id", prev.ID, "code", prev.ErrorCode)
		return out, &webhook.StoredError{Code: prev.ErrorCode, Message: prev.ErrorMessage, Fields: prev.ErrorFields}
	}
	out.Result = prev.Result
	c.log.Info("replayed stored result", "first_call_id", prev.ID)
	return out, nil
}

// storeFailed reports a write the store could not commit.
func (c *call) storeFailed(ctx context.Context, what string, err error) (Outcome, error) {
	c.log.ErrorContext(ctx, what+" call in inbox", "err", err)
	return Outcome{CallID: c.inv.CallID}, fmt.Errorf("%w: %s %s: %v", webhook.ErrStoreUnavailable, what, c.inv.CallID, err)
}

// logEnd logs how a call ended.
func (c *call) logEnd(ctx context.Context, err error, d time.Duration) {
	if err == nil {
		c.log.InfoContext(ctx, "call processed", "duration_ms", msOf(d))
		return
	}
	lvl := slog.LevelWarn
	if !IsUserError(err) {
		lvl = slog.LevelError
	}
	c.log.Log(ctx, lvl, "call failed", "code", ErrorCode(err), "err", err, "duration_ms", msOf(d))
}

// run calls the action under the deadline, turning a panic into an error.
func (c *call) run(ctx context.Context) (res Result, err error) {
	if c.r.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.r.cfg.Timeout)
		defer cancel()
	}
	type ret struct {
		res Result
		err error
	}
	done := make(chan ret, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- ret{err: fmt.Errorf("action %s panicked: %v", c.a.Spec().Name, p)}
			}
		}()
		res, err := c.a.Call(ctx, c.inv, c.req.Input)
		done <- ret{res, err}
	}()
	select {
	case d := <-done:
		if d.err == nil && ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		return d.res, d.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// encodeOutput is an action's output as JSON.
func encodeOutput(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return b, nil
}

// clientIDOf peeks at the client_id of a JSON input, its own or
// webhook_data's, as exact text (a number keeps every digit).
func clientIDOf(input json.RawMessage) string {
	var peek struct {
		ClientID    any `json:"client_id"`
		WebhookData struct {
			ClientID any `json:"client_id"`
		} `json:"webhook_data"`
	}
	dec := json.NewDecoder(bytes.NewReader(input))
	dec.UseNumber()
	_ = dec.Decode(&peek)
	for _, v := range []any{peek.ClientID, peek.WebhookData.ClientID} {
		switch id := v.(type) {
		case string:
			if id != "" {
				return id
			}
		case json.Number:
			return id.String()
		}
	}
	return ""
}
