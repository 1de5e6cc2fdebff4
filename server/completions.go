package server

import (
	"context"
	"errors"

	"github.com/mark3labs/mcp-go/mcp"
)

// maxCompletions is the most values one completion/complete answer carries
// (the protocol's bound).
const maxCompletions = 100

// completer answers completion/complete for the arguments that name what the
// store knows: client_id in kg://clients/{client_id} and the client_briefing
// prompt, approval_id in approvals://{approval_id}. Values are the ids that
// start with what was typed (case-sensitive), at most 100, with hasMore
// when there are others.
type completer struct{ s *Server }

// CompleteResourceArgument completes a resource template's argument.
func (c completer) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	switch {
	case uri == graphResourceTemplate && arg.Name == "client_id":
		return c.complete(ctx, arg.Value, c.s.deps.Store.ClientIDs)
	case uri == approvalURIPrefix+"{approval_id}" && arg.Name == "approval_id":
		return c.complete(ctx, arg.Value, c.s.deps.Store.ApprovalIDs)
	}
	return &mcp.Completion{Values: []string{}}, nil
}

// CompletePromptArgument completes a prompt's argument.
func (c completer) CompletePromptArgument(ctx context.Context, prompt string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	if prompt == promptClientBriefing && arg.Name == "client_id" {
		return c.complete(ctx, arg.Value, c.s.deps.Store.ClientIDs)
	}
	return &mcp.Completion{Values: []string{}}, nil
}

// complete lists up to maxCompletions ids starting with prefix.
func (c completer) complete(ctx context.Context, prefix string, list func(context.Context, string, int) ([]string, error)) (*mcp.Completion, error) {
	ids, err := list(ctx, prefix, maxCompletions+1)
	if err != nil {
		c.s.log.ErrorContext(ctx, "complete an id", "prefix", prefix, "err", err)
		return nil, errors.New(errorText("", err))
	}
	out := &mcp.Completion{Values: ids}
	if len(ids) > maxCompletions {
		out.Values, out.HasMore = ids[:maxCompletions], true
	}
	return out, nil
}
