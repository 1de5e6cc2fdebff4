package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/tools"
)

// Prompts (slash commands in Claude Desktop and VS Code).
const (
	promptClientBriefing = "client_briefing"
	promptReviewPending  = "review_pending_approvals"
)

// Bounds of what the prompts put in context.
const (
	briefingEvents = 20
	reviewPending  = 50
)

// addPrompts registers the prompts.
func (s *Server) addPrompts() {
	s.mcp.AddPrompt(mcp.NewPrompt(promptClientBriefing,
		mcp.WithPromptTitle("Client briefing"),
		mcp.WithPromptDescription("Brief me on one client from its knowledge graph and its recent webhooks."),
		mcp.WithArgument("client_id", mcp.RequiredArgument(),
			mcp.ArgumentDescription("the client, e.g. acme-corp (completion lists the clients the server knows)"))),
		s.clientBriefing)
	s.mcp.AddPrompt(mcp.NewPrompt(promptReviewPending,
		mcp.WithPromptTitle("Review pending approvals"),
		mcp.WithPromptDescription("What waits for a person's approval, and where that person decides it.")),
		s.reviewPendingApprovals)
}

// clientBriefing puts a client's graph and recent webhooks in context and asks
// for a briefing.
func (s *Server) clientBriefing(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	id := strings.TrimSpace(req.Params.Arguments["client_id"])
	if id == "" {
		return nil, errors.New("client_id is required, e.g. acme-corp")
	}
	g, err := s.deps.Store.ClientGraph(ctx, graph.GraphQuery{ClientID: id, Limit: tools.DefaultGraphLimit})
	if err != nil {
		s.log.ErrorContext(ctx, "client briefing: read graph", "client_id", id, "err", err)
		return nil, errors.New(errorText("", err))
	}
	if g.NodeCount == 0 {
		return nil, fmt.Errorf("no knowledge graph for client %q: no webhook has named it yet", id)
	}
	evs, err := s.recentWebhooks(ctx, id, briefingEvents)
	if err != nil {
		s.log.ErrorContext(ctx, "client briefing: list webhooks", "client_id", id, "err", err)
		return nil, errors.New(errorText("", err))
	}
	graphJSON, err := json.Marshal(g)
	if err != nil {
		return nil, err
	}
	eventsJSON, err := json.Marshal(evs)
	if err != nil {
		return nil, err
	}
	ask := "Brief me on client " + id + ": what its tasks are, their status and who is assigned, what changed " +
		"in the recent webhooks, and what needs attention. Use only the context below and say what it does not tell.\n\n" +
		taskOutline(g)
	return mcp.NewGetPromptResult("Briefing on client "+id, []mcp.PromptMessage{
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(ask)),
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewEmbeddedResource(mcp.TextResourceContents{
			URI: clientGraphURI(id), MIMEType: "application/json", Text: string(graphJSON)})),
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(fmt.Sprintf(
			"The last %d webhooks of %s, newest first (state, time, errors; bodies are not included):\n%s",
			len(evs), id, eventsJSON))),
	}), nil
}

// taskOutline lists a graph's tasks with their status and assignees.
func taskOutline(g graph.ClientGraph) string {
	labels := make(map[string]string, len(g.Nodes))
	for _, n := range g.Nodes {
		labels[n.ID] = n.Label
	}
	status, people := map[string]string{}, map[string][]string{}
	for _, r := range g.Relationships {
		switch r.Type {
		case graph.RelHasStatus:
			status[r.Source] = labels[r.Target]
		case graph.RelAssignedTo:
			people[r.Source] = append(people[r.Source], labels[r.Target])
		}
	}
	var lines []string
	for _, n := range g.Nodes {
		if n.Type != "task" {
			continue
		}
		line := "- " + n.Label
		if st := status[n.ID]; st != "" {
			line += " [" + st + "]"
		}
		if p := people[n.ID]; len(p) > 0 {
			sort.Strings(p)
			line += " assigned to " + strings.Join(p, ", ")
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return "The graph has no tasks."
	}
	out := fmt.Sprintf("Tasks (%d):\n%s", len(lines), strings.Join(lines, "\n"))
	if g.Truncated {
		out += fmt.Sprintf("\n(the graph has %d nodes; the first %d are included)", g.NodeCount, len(g.Nodes))
	}
	return out
}

// reviewPendingApprovals lists what waits for a decision and says where a
// person makes it: a model reads approvals, it never decides them.
func (s *Server) reviewPendingApprovals(ctx context.Context, _ mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	pending, more, err := s.approvals.ListPage(ctx, approval.Filter{States: []approval.State{approval.StatePending}, Limit: reviewPending})
	if err != nil {
		s.log.ErrorContext(ctx, "review pending approvals: list", "err", err)
		return nil, errors.New(errorText("", err))
	}
	page := s.review.baseURL + "/approvals"
	if len(pending) == 0 {
		return mcp.NewGetPromptResult("No pending approvals", []mcp.PromptMessage{
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(
				"No approval request waits for a decision. Tell me so; new ones appear on "+page+".")),
		}), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d approval request(s) wait for a person's decision", len(pending))
	if more != nil {
		b.WriteString(" (the newest shown; more wait)")
	}
	b.WriteString(".\n\nYou cannot approve or reject them, and must not try: no tool decides, and a decision " +
		"belongs to a person. For each request, summarise what would be sent, to which URL, for which client and " +
		"at whose request, point out anything unusual, and tell me where I decide it:\n" +
		"- the reviewer page (link per request below; sign in with APPROVAL_TOKEN), or " + page + " for all of them;\n" +
		"- the CLI: webhook-mcp approvals show|approve|reject <approval_id>;\n" +
		"- the API: POST /api/approvals/<approval_id>/approve or /reject with the APPROVAL_TOKEN.\n\n")
	views := make([]any, 0, len(pending))
	for _, r := range pending {
		fmt.Fprintf(&b, "- %s: %s (client %s, asked by %s, expires %s) %s/approvals/%s\n", r.ID, r.Summary,
			orNone(r.ClientID), r.RequestedBy, r.ExpiresAt.Format("2006-01-02 15:04 MST"), s.review.baseURL, r.ID)
		views = append(views, tools.StatusOf(r, nil))
	}
	detail, err := json.Marshal(views)
	if err != nil {
		return nil, err
	}
	return mcp.NewGetPromptResult("Pending approvals", []mcp.PromptMessage{
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(b.String())),
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent("The requests as JSON:\n"+string(detail))),
	}), nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
