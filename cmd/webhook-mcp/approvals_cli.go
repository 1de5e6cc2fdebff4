package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/webhook-mcp/webhook-mcp/api"
)

const approvalsUsage = `Usage:
  webhook-mcp approvals list [--state S] [--client-id C] [--limit N] [--cursor C] [--json]
  webhook-mcp approvals show ID [--json]
  webhook-mcp approvals approve ID [--reason R] [--json]
  webhook-mcp approvals reject ID [--reason R] [--json]

Talks to a running server at WEBHOOK_MCP_URL (else HTTP_ADDR, else http://127.0.0.1:8000) with APPROVAL_TOKEN.
list shows pending requests unless --state names others (comma-separated, or "all"),
newest first; when more follow, it prints the --cursor that lists the next page.
`

// runApprovals is `webhook-mcp approvals ...`.
func runApprovals(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	sub, rest, fs, asJSON, done, err := subcommandOf("approvals", approvalsUsage,
		[]string{"list", "show", "approve", "reject"}, args, stdout, stderr)
	if done || err != nil {
		return err
	}
	var state, clientID, cursor, reason *string
	var limit *int
	switch sub {
	case "list":
		state = fs.String("state", "pending", `states to list, comma-separated, or "all"`)
		clientID = fs.String("client-id", "", "only this client's requests")
		limit = fs.Int("limit", 50, "at most this many (1-500)")
		cursor = fs.String("cursor", "", "the next page, as printed by the previous list")
	case "approve", "reject":
		reason = fs.String("reason", "", "why (kept in the audit trail)")
	}
	id, err := positionalID(fs, "approvals", sub, "approval", rest)
	if err != nil {
		return err
	}
	c := newAPIClient(environ)
	if sub == "list" {
		return approvalsList(ctx, c, listQuery(*state, *clientID, *limit, *cursor), *asJSON, stdout)
	}
	if sub == "show" {
		var d api.ApprovalDetail
		if err := c.do(ctx, http.MethodGet, "/api/approvals/"+id, nil, nil, &d); err != nil {
			return err
		}
		if *asJSON {
			return writeJSONOut(stdout, d)
		}
		return printDetail(stdout, d)
	}
	var out api.Approval
	body := api.Decision{Reason: *reason, DecidedBy: "cli:" + cliUser(environ)}
	err = c.do(ctx, http.MethodPost, "/api/approvals/"+id+"/"+sub, nil, body, &out)
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code == api.CodeConflict {
		return fmt.Errorf("cannot %s %s: %s", sub, id, ae.Message)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONOut(stdout, out)
	}
	_, err = fmt.Fprintf(stdout, "%s: %s by %s\n", out.ApprovalID, out.State, out.DecidedBy)
	return err
}

// listQuery is the query of the list subcommands; state "all" means no filter.
func listQuery(state, clientID string, limit int, cursor string) url.Values {
	q := url.Values{}
	if state != "" && state != "all" {
		q.Set("state", state)
	}
	if clientID != "" {
		q.Set("client_id", clientID)
	}
	q.Set("limit", strconv.Itoa(limit))
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return q
}

func approvalsList(ctx context.Context, c *apiClient, q url.Values, asJSON bool, stdout io.Writer) error {
	var list api.ApprovalList
	if err := c.do(ctx, http.MethodGet, "/api/approvals", q, nil, &list); err != nil {
		return err
	}
	if asJSON {
		return writeJSONOut(stdout, list)
	}
	if len(list.Approvals) == 0 {
		_, err := fmt.Fprintln(stdout, "no approval requests match")
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tAGE\tEXPIRES IN\tCLIENT\tACTION\tTARGET\tREQUESTED BY\tDECIDED BY")
	now := time.Now()
	for _, a := range list.Approvals {
		left := "-"
		if a.State == "pending" {
			left = shortDuration(a.ExpiresAt.Sub(now))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ApprovalID, a.State, shortDuration(now.Sub(a.CreatedAt)),
			left, orDash(a.ClientID), a.Action, a.TargetURL, a.RequestedBy, orDash(a.DecidedBy))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if list.NextCursor != "" {
		_, err := fmt.Fprintf(stdout, "\nmore requests follow: list again with --cursor %s\n", list.NextCursor)
		return err
	}
	return nil
}

func printDetail(w io.Writer, d api.ApprovalDetail) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	rows := [][2]string{{"id", d.ApprovalID}, {"state", d.State}, {"summary", d.Summary},
		{"action", d.Action}, {"client", orDash(d.ClientID)}, {"target", d.TargetURL},
		{"requested by", d.RequestedBy}, {"created", d.CreatedAt.Local().Format(time.RFC3339)},
		{"expires", d.ExpiresAt.Local().Format(time.RFC3339)}, {"params sha256", d.ParamsSHA256}}
	if d.DecidedBy != "" {
		rows = append(rows, [2]string{"decided by", d.DecidedBy}, [2]string{"reason", orDash(d.Reason)})
	}
	if d.Delivery != nil {
		out := fmt.Sprintf("HTTP %d after %d attempt(s)", d.Delivery.StatusCode, d.Delivery.Attempts)
		if d.Delivery.Error != "" {
			out = "failed: " + d.Delivery.Error
		}
		rows = append(rows, [2]string{"delivery", out})
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.Params) > 0 {
		pretty, err := json.MarshalIndent(d.Params, "", "  ")
		if err != nil {
			pretty = d.Params
		}
		fmt.Fprintf(w, "\nparameters:\n%s\n", pretty)
	}
	if len(d.Events) > 0 {
		fmt.Fprintln(w, "\naudit trail:")
		for _, e := range d.Events {
			from := ""
			if e.From != "" {
				from = e.From + " -> "
			}
			line := fmt.Sprintf("  %s  %s%s by %s", e.At.Local().Format(time.RFC3339), from, e.To, e.Actor)
			if e.Reason != "" {
				line += ": " + e.Reason
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortDuration renders d as 45s, 12m, 3h, 2d.
func shortDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// cliUser names who runs the CLI ($USER), for decided_by.
func cliUser(environ []string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "USER="); ok && v != "" {
			return v
		}
	}
	return "unknown"
}
