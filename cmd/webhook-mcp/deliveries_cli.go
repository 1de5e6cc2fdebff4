package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/webhook-mcp/webhook-mcp/api"
)

const deliveriesUsage = `Usage:
  webhook-mcp deliveries list [--state S] [--client-id C] [--limit N] [--json]
  webhook-mcp deliveries show ID [--json]
  webhook-mcp deliveries retry ID [--json]

Talks to a running server at WEBHOOK_MCP_URL (else HTTP_ADDR, else http://127.0.0.1:8000) with APPROVAL_TOKEN.
--state is pending, delivering, delivered or failed (dead letters); default: all.
retry sends a failed delivery again under the same id (same webhook-id header).
`

// runDeliveries is `webhook-mcp deliveries ...`.
func runDeliveries(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	sub, rest, fs, asJSON, done, err := subcommandOf("deliveries", deliveriesUsage,
		[]string{"list", "show", "retry"}, args, stdout, stderr)
	if done || err != nil {
		return err
	}
	state := fs.String("state", "", "pending, delivering, delivered or failed")
	clientID := fs.String("client-id", "", "only this client's deliveries")
	limit := fs.Int("limit", 50, "at most this many (1-500)")
	id, err := positionalID(fs, "deliveries", sub, "delivery", rest)
	if err != nil {
		return err
	}
	c := newAPIClient(environ)
	if sub == "list" {
		return deliveriesList(ctx, c, *state, *clientID, *limit, *asJSON, stdout)
	}
	var out api.Approval
	if sub == "show" {
		err = c.do(ctx, http.MethodGet, "/api/deliveries/"+id, nil, nil, &out)
	} else {
		err = c.do(ctx, http.MethodPost, "/api/deliveries/"+id+"/retry", nil, nil, &out)
	}
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code == api.CodeConflict {
		return fmt.Errorf("cannot retry %s: %s (only failed deliveries can be retried)", id, ae.Message)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONOut(stdout, out)
	}
	if sub == "retry" {
		_, err = fmt.Fprintf(stdout, "%s: %s, retry scheduled\n", out.ApprovalID, out.State)
		return err
	}
	return printDelivery(stdout, out)
}

func deliveriesList(ctx context.Context, c *apiClient, state, clientID string, limit int, asJSON bool, stdout io.Writer) error {
	q := listQuery(state, clientID, limit, "")
	var list api.DeliveryList
	if err := c.do(ctx, http.MethodGet, "/api/deliveries", q, nil, &list); err != nil {
		return err
	}
	if asJSON {
		return writeJSONOut(stdout, list)
	}
	if len(list.Deliveries) == 0 {
		_, err := fmt.Fprintln(stdout, "no deliveries match")
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tOUTCOME\tATTEMPTS\tLAST STATUS\tNEXT ATTEMPT\tCLIENT\tTARGET")
	now := time.Now()
	for _, d := range list.Deliveries {
		outcome, attempts, status, next := "-", "0", "-", "-"
		if d.Delivery != nil {
			outcome, attempts = orDash(d.Delivery.Outcome), strconv.Itoa(d.Delivery.Attempts)
			if d.Delivery.StatusCode != 0 {
				status = strconv.Itoa(d.Delivery.StatusCode)
			}
			if d.Delivery.NextAttemptAt != nil && d.State == "delivering" {
				next = "in " + shortDuration(d.Delivery.NextAttemptAt.Sub(now))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ApprovalID, d.State, outcome, attempts, status, next,
			orDash(d.ClientID), d.TargetURL)
	}
	return tw.Flush()
}

// printDelivery prints one delivery with every attempt.
func printDelivery(w io.Writer, d api.Approval) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id:\t%s\nstate:\t%s\nclient:\t%s\ntarget:\t%s\n", d.ApprovalID, d.State, orDash(d.ClientID), d.TargetURL)
	if d.Delivery != nil {
		fmt.Fprintf(tw, "outcome:\t%s\n", orDash(d.Delivery.Outcome))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.Attempts) == 0 {
		_, err := fmt.Fprintln(w, "no attempts yet")
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nATTEMPT\tAT\tSTATUS\tLATENCY\tERROR")
	for _, a := range d.Attempts {
		status := "-"
		if a.StatusCode != 0 {
			status = strconv.Itoa(a.StatusCode)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.0fms\t%s\n", a.N, a.At.Format(time.RFC3339), status, a.LatencyMS, orDash(a.Error))
	}
	return tw.Flush()
}
