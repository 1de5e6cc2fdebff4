package tools

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// SearchInput is the input of search.
type SearchInput struct {
	Query string `json:"query" jsonschema:"words to find in clients, tasks, people, webhook events and approval requests, e.g. onboarding deck"`
}

// SearchResult is one record search found; fetch returns it whole.
type SearchResult struct {
	ID    string `json:"id" jsonschema:"record id to pass to fetch, e.g. task:client-123:task_123"`
	Title string `json:"title"`
	URL   string `json:"url" jsonschema:"where the record is on this server"`
}

// SearchOutput is the result of search, in the shape ChatGPT connectors and
// deep research expect.
type SearchOutput struct {
	Results []SearchResult `json:"results" jsonschema:"best matches first"`
}

// Bounds of search: how many results it returns, how many query words it
// uses, and how many of the newest approvals and inbox entries it reads.
const (
	maxSearchResults   = 30
	maxSearchTerms     = 8
	searchGraphLimit   = 50
	searchApprovalScan = 200
	searchEventScan    = 500
)

// searchNodeTypes are the graph node types search returns.
var searchNodeTypes = []string{recordClient, recordTask, recordPerson}

// scoredResult is a result and how many query words it matched.
type scoredResult struct {
	SearchResult
	score int
}

func search(d Deps) Action {
	return Define(Spec{
		Name:  "search",
		Title: "Search",
		Description: "Search everything this server knows for the words of query (case-insensitive): clients, " +
			"tasks and people of the knowledge graphs built from webhooks, the newest webhook events, and approval " +
			"requests. Returns {results: [{id, title, url}]}, best matches first; pass an id to fetch for the whole " +
			"record. Read-only.",
		Annotations: ReadOnlyLocal(),
	}, func(ctx context.Context, _ Invocation, in SearchInput) (SearchOutput, error) {
		terms := searchTerms(in.Query)
		if len(terms) == 0 {
			return SearchOutput{}, webhook.MissingFields("query")
		}
		base := d.BaseURL()
		var found []scoredResult
		for _, find := range []func(context.Context, string, []string) ([]scoredResult, error){
			d.searchGraph, d.searchApprovals, d.searchEvents,
		} {
			rs, err := find(ctx, base, terms)
			if err != nil {
				return SearchOutput{}, err
			}
			found = append(found, rs...)
		}
		sort.SliceStable(found, func(i, j int) bool { return found[i].score > found[j].score })
		out := SearchOutput{Results: make([]SearchResult, 0, min(len(found), maxSearchResults))}
		for _, r := range found[:min(len(found), maxSearchResults)] {
			out.Results = append(out.Results, r.SearchResult)
		}
		return out, nil
	})
}

// searchTerms splits a query into lower-case words, without repeats; a
// one-letter word is ignored unless it is the whole query.
func searchTerms(q string) []string {
	words := strings.Fields(strings.ToLower(q))
	var out []string
	seen := map[string]bool{}
	for _, w := range words {
		if seen[w] || (len(w) < 2 && len(words) > 1) {
			continue
		}
		seen[w] = true
		if out = append(out, w); len(out) == maxSearchTerms {
			break
		}
	}
	return out
}

// searchGraph finds client, task and person nodes, one store search per word,
// scored by the number of words each matched.
func (d Deps) searchGraph(ctx context.Context, base string, terms []string) ([]scoredResult, error) {
	byID := map[string]*scoredResult{}
	var order []string
	for _, term := range terms {
		hits, err := d.Graphs.SearchGraph(ctx, graph.SearchQuery{Query: term, NodeTypes: searchNodeTypes, Limit: searchGraphLimit})
		if err != nil {
			return nil, fmt.Errorf("search graph: %w", err)
		}
		for _, h := range hits {
			id, ok := nodeRecordID(h.ClientID, h.Node.ID)
			if !ok {
				continue
			}
			if r := byID[id]; r != nil {
				r.score++
				continue
			}
			ref, _ := parseRecordID(id)
			title := h.Node.Label
			if h.Node.Type == recordClient {
				title = "Client " + h.Node.Label
			}
			byID[id] = &scoredResult{SearchResult: SearchResult{ID: id, Title: title, URL: recordURL(base, ref)}, score: 1}
			order = append(order, id)
		}
	}
	out := make([]scoredResult, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out, nil
}

// searchApprovals matches the words against the newest approval requests:
// id, action, client, target, summary, state and who asked.
func (d Deps) searchApprovals(ctx context.Context, base string, terms []string) ([]scoredResult, error) {
	reqs, err := d.Approvals.List(ctx, approval.Filter{Limit: searchApprovalScan})
	if err != nil {
		return nil, fmt.Errorf("search approvals: %w", err)
	}
	var out []scoredResult
	for _, r := range reqs {
		score := matchCount(terms, r.ID, r.Action, r.ClientID, r.TargetURL, r.Summary, string(r.State), r.RequestedBy)
		if score == 0 {
			continue
		}
		ref := recordRef{kind: recordApproval, key: r.ID}
		out = append(out, scoredResult{score: score, SearchResult: SearchResult{ID: recordID(recordApproval, r.ID),
			Title: approvalTitle(r), URL: recordURL(base, ref)}})
	}
	return out, nil
}

// searchEvents matches the words against the newest inbox entries: id,
// source, route or tool, client, state and error.
func (d Deps) searchEvents(ctx context.Context, base string, terms []string) ([]scoredResult, error) {
	evs, err := d.Inbox.ListEvents(ctx, webhook.EventFilter{Limit: searchEventScan})
	if err != nil {
		return nil, fmt.Errorf("search events: %w", err)
	}
	var out []scoredResult
	for _, e := range evs {
		score := matchCount(terms, e.ID, e.Kind, e.Source, e.Route, e.ClientID, string(e.State), e.ErrorCode, e.ErrorMessage)
		if score == 0 {
			continue
		}
		ref := recordRef{kind: recordEvent, key: e.ID}
		out = append(out, scoredResult{score: score, SearchResult: SearchResult{ID: recordID(recordEvent, e.ID),
			Title: eventTitle(e), URL: recordURL(base, ref)}})
	}
	return out, nil
}

// matchCount is how many of terms occur in any of fields, case-insensitively.
func matchCount(terms []string, fields ...string) int {
	hay := strings.ToLower(strings.Join(fields, "\n"))
	n := 0
	for _, t := range terms {
		if strings.Contains(hay, t) {
			n++
		}
	}
	return n
}

// approvalTitle names an approval request in one line.
func approvalTitle(r approval.Request) string {
	return fmt.Sprintf("Approval %s (%s): %s", r.ID, r.State, r.Summary)
}

// eventTitle names an inbox entry in one line.
func eventTitle(e webhook.InboxEvent) string {
	what := "Webhook " + e.Source + "/" + e.Route
	if e.Kind == webhook.KindTool {
		what = "Tool call " + e.Route
	}
	if e.ClientID != "" {
		what += " for " + e.ClientID
	}
	return fmt.Sprintf("%s at %s (%s)", what, e.ReceivedAt.UTC().Format("2006-01-02 15:04:05Z"), e.State)
}
