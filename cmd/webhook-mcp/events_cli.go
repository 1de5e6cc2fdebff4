package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/webhook-mcp/webhook-mcp/api"
)

// inboxEntry is the part of an inbox entry (GET /api/events, /api/events/{id})
// that the events subcommands print.
type inboxEntry struct {
	ID           string    `json:"webhook_id"`
	Kind         string    `json:"kind"`
	Route        string    `json:"route"`
	ClientID     string    `json:"client_id"`
	ReceivedAt   time.Time `json:"received_at"`
	State        string    `json:"state"`
	ErrorCode    string    `json:"error_code"`
	ErrorMessage string    `json:"error_message"`
	DurationMS   float64   `json:"duration_ms"`
	ReplayOf     string    `json:"replay_of"`
}

const eventsUsage = `Usage:
  webhook-mcp events list [--kind webhook|tool|all] [--state S] [--client-id C] [--limit N] [--json]
  webhook-mcp events show ID [--json]
  webhook-mcp events replay ID [--json]

Talks to a running server at WEBHOOK_MCP_URL (else HTTP_ADDR, else http://127.0.0.1:8000) with APPROVAL_TOKEN.
list shows the inbox newest first (default: webhooks); --state is received, processed or failed.
show prints one entry with its raw body; --json prints it as GET /api/events/{id} answers.
replay runs a stored webhook's raw body again through today's pipeline (the route's current action,
no signature check, no deduplication) as a new event that records replay_of: ID.
`

// runEvents is `webhook-mcp events ...`.
func runEvents(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	sub, rest, fs, asJSON, done, err := subcommandOf("events", eventsUsage,
		[]string{"list", "show", "replay"}, args, stdout, stderr)
	if done || err != nil {
		return err
	}
	kind := fs.String("kind", "webhook", "webhook, tool or all")
	state := fs.String("state", "", "received, processed or failed")
	clientID := fs.String("client-id", "", "only this client's entries")
	limit := fs.Int("limit", 50, "at most this many (1-500)")
	id, err := positionalID(fs, "events", sub, "event", rest)
	if err != nil {
		return err
	}
	c := newAPIClient(environ)
	switch sub {
	case "list":
		q := listQuery(*state, *clientID, *limit, "")
		q.Set("kind", *kind)
		return eventsList(ctx, c, q, *asJSON, stdout)
	case "show":
		raw, err := c.send(ctx, http.MethodGet, "/api/events/"+id, nil, "", nil)
		if err != nil {
			return err
		}
		if *asJSON {
			_, err = stdout.Write(raw)
			return err
		}
		return printEvent(stdout, raw)
	}
	var out api.Envelope
	if err := c.do(ctx, http.MethodPost, "/api/events/"+id+"/replay", nil, nil, &out); err != nil {
		return err
	}
	if *asJSON {
		return writeJSONOut(stdout, out)
	}
	_, err = fmt.Fprintf(stdout, "%s: replay of %s, %s\n", out.WebhookID, out.ReplayOf, out.Status)
	return err
}

func eventsList(ctx context.Context, c *apiClient, q url.Values, asJSON bool, stdout io.Writer) error {
	var list struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/events", q, nil, &list); err != nil {
		return err
	}
	if asJSON {
		return writeJSONOut(stdout, list)
	}
	if len(list.Events) == 0 {
		_, err := fmt.Fprintln(stdout, "no events match")
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tKIND\tSTATE\tERROR\tCLIENT\tROUTE\tREPLAY OF")
	for _, raw := range list.Events {
		var e inboxEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("decode event: %w", err)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.ReceivedAt.Format(time.RFC3339), e.Kind, e.State,
			orDash(e.ErrorCode), orDash(e.ClientID), e.Route, orDash(e.ReplayOf))
	}
	return tw.Flush()
}

// printEvent prints one entry of GET /api/events/{id} and its raw body.
func printEvent(w io.Writer, raw []byte) error {
	var e struct {
		inboxEntry
		Body json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id:\t%s\nkind:\t%s\nroute:\t%s\nclient:\t%s\nreceived:\t%s\nstate:\t%s\n", e.ID, e.Kind, e.Route,
		orDash(e.ClientID), e.ReceivedAt.Format(time.RFC3339), e.State)
	if e.ErrorCode != "" {
		fmt.Fprintf(tw, "error:\t%s: %s\n", e.ErrorCode, e.ErrorMessage)
	}
	if e.ReplayOf != "" {
		fmt.Fprintf(tw, "replay of:\t%s\n", e.ReplayOf)
	}
	fmt.Fprintf(tw, "duration:\t%sms\n", strconv.FormatFloat(e.DurationMS, 'f', 1, 64))
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "body:\n%s\n", e.Body)
	return err
}
