package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/webhook-mcp/webhook-mcp/api"
)

const deliveriesUsage = `Usage:
  webhook-mcp deliveries list [--state S] [--client-id C] [--limit N] [--json]
  webhook-mcp deliveries show ID [--json]
  webhook-mcp deliveries retry ID [--json]
  webhook-mcp deliveries recover --since TIME [--until TIME] [--json]

Talks to a running server at WEBHOOK_MCP_URL (else HTTP_ADDR, else http://127.0.0.1:8000) with APPROVAL_TOKEN.
--state is pending, delivering, delivered or failed (dead letters); default: all.
retry sends a failed delivery again under the same id (same webhook-id header).
recover sends again every delivery that failed between --since and --until (RFC 3339, e.g.
2026-11-30T00:00:00Z, or a duration back from now, e.g. 24h; --until defaults to now).
`

// runDeliveries is `webhook-mcp deliveries ...`.
func runDeliveries(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	sub, rest, fs, asJSON, done, err := subcommandOf("deliveries", deliveriesUsage,
		[]string{"list", "show", "retry", "recover"}, args, stdout, stderr)
	if done || err != nil {
		return err
	}
	state := fs.String("state", "", "pending, delivering, delivered or failed")
	clientID := fs.String("client-id", "", "only this client's deliveries")
	limit := fs.Int("limit", 50, "at most this many (1-500)")
	since := fs.String("since", "", "recover: failed at or after this time (RFC 3339, or a duration back from now)")
	until := fs.String("until", "", "recover: failed at or before this time (default: now)")
	if sub == "recover" {
		return deliveriesRecover(ctx, fs, rest, environ, since, until, asJSON, stdout)
	}
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

// deliveriesRecover is `deliveries recover --since … [--until …]`.
func deliveriesRecover(ctx context.Context, fs *flag.FlagSet, rest, environ []string, since, until *string,
	asJSON *bool, stdout io.Writer) error {
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(pos) > 0 || *since == "" {
		return fmt.Errorf("%w: deliveries recover takes --since TIME [--until TIME] and no arguments", errUsage)
	}
	now := time.Now().UTC()
	req := api.RecoverRequest{}
	if req.Since, err = cliTime("since", *since, now); err != nil {
		return err
	}
	if *until != "" {
		u, err := cliTime("until", *until, now)
		if err != nil {
			return err
		}
		req.Until = &u
	}
	var out api.RecoverResult
	if err := newAPIClient(environ).do(ctx, http.MethodPost, "/api/deliveries/recover", nil, req, &out); err != nil {
		return err
	}
	if *asJSON {
		return writeJSONOut(stdout, out)
	}
	_, err = fmt.Fprintf(stdout, "%d failed deliveries between %s and %s re-queued\n", len(out.Recovered),
		out.Since.Format(time.RFC3339), out.Until.Format(time.RFC3339))
	for _, id := range out.Recovered {
		fmt.Fprintf(stdout, "  %s\n", id)
	}
	if len(out.Skipped) > 0 {
		fmt.Fprintf(stdout, "%d skipped (no longer failed): %s\n", len(out.Skipped), strings.Join(out.Skipped, ", "))
	}
	return err
}

// cliTime reads an RFC 3339 time, or a duration back from now ("24h").
func cliTime(name, v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%w: --%s %q is neither an RFC 3339 time (2026-11-30T00:00:00Z) nor a duration (24h)",
		errUsage, name, v)
}
