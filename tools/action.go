// Package tools is the action registry: every action (MCP tool or webhook route
// target) is defined once here, and Registry.Call is the single entry point used by
// MCP and HTTP alike. It assigns the webhook id, applies the timeout, logs,
// records the call in the inbox, and routes approval-gated actions through the
// approval service.
package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// Spec describes an action to models and people.
type Spec struct {
	Name        string
	Title       string
	Description string
	Annotations Annotations
	// InputOverrides replaces the generated schema of the named input properties,
	// for fields whose Go type cannot say it (a raw JSON value, say).
	InputOverrides map[string]map[string]any
}

// Invocation is the context of one call: who asked, through which path, under
// which webhook id.
type Invocation struct {
	WebhookID  string
	Kind       string // webhook.KindWebhook or webhook.KindTool
	Source     string // webhook source route id (e.g. make.com_chatgpt_clients) or "mcp"
	Route      string // route path for webhooks, tool name for tool calls
	Requester  string // "mcp-client:<name>" or "webhook:<source>"
	ReceivedAt time.Time
}

// Action is one registered action.
type Action interface {
	// Spec returns the action's name, description and annotations.
	Spec() Spec
	// Tool returns the MCP tool definition with input and output schemas.
	Tool() mcp.Tool
	// RequiresApproval reports whether Run only happens after a human approved.
	RequiresApproval() bool
	// Call runs the action (or, for gated actions, creates the approval request).
	Call(ctx context.Context, inv Invocation, input json.RawMessage) (any, error)
}

// Gated is an action whose effect runs only after approval.
type Gated interface {
	Action
	// Execute runs the approved parameters exactly as stored.
	Execute(ctx context.Context, r approval.Request) approval.Delivery
}

// Define returns an action that decodes its input into In and runs run.
func Define[In, Out any](spec Spec, run func(ctx context.Context, inv Invocation, in In) (Out, error)) Action {
	return &typedAction[In, Out]{spec: spec, run: run}
}

type typedAction[In, Out any] struct {
	spec Spec
	run  func(ctx context.Context, inv Invocation, in In) (Out, error)
}

func (a *typedAction[In, Out]) Spec() Spec             { return a.spec }
func (a *typedAction[In, Out]) RequiresApproval() bool { return false }
func (a *typedAction[In, Out]) Tool() mcp.Tool         { return toolFor[In, Out](a.spec) }

func (a *typedAction[In, Out]) Call(ctx context.Context, inv Invocation, input json.RawMessage) (any, error) {
	in, err := decodeInput[In](input)
	if err != nil {
		return nil, err
	}
	return a.run(ctx, inv, in)
}

// PendingApproval is what a gated action returns instead of running.
type PendingApproval struct {
	Status       string    `json:"status" jsonschema:"pending_approval; or approved or rejected when the person in the MCP client decided on the spot (elicitation)"`
	ApprovalID   string    `json:"approval_id" jsonschema:"id to pass to get_approval_status"`
	ExpiresAt    time.Time `json:"expires_at" jsonschema:"when the request expires without a decision"`
	ParamsSHA256 string    `json:"params_sha256" jsonschema:"SHA-256 of the exact parameters that will run once approved"`
	Message      string    `json:"message"`
}

// DefineGated returns an action that asks for approval: prepare validates and
// normalises the input and describes the request; run executes the approved input.
func DefineGated[In any](spec Spec, svc *approval.Service,
	prepare func(ctx context.Context, inv Invocation, in In) (In, approval.Draft, error),
	run func(ctx context.Context, r approval.Request, in In) approval.Delivery,
) Gated {
	return &gatedAction[In]{spec: spec, svc: svc, prepare: prepare, run: run}
}

type gatedAction[In any] struct {
	spec    Spec
	svc     *approval.Service
	prepare func(ctx context.Context, inv Invocation, in In) (In, approval.Draft, error)
	run     func(ctx context.Context, r approval.Request, in In) approval.Delivery
}

func (a *gatedAction[In]) Spec() Spec             { return a.spec }
func (a *gatedAction[In]) RequiresApproval() bool { return true }
func (a *gatedAction[In]) Tool() mcp.Tool         { return toolFor[In, PendingApproval](a.spec) }

func (a *gatedAction[In]) Call(ctx context.Context, inv Invocation, input json.RawMessage) (any, error) {
	in, err := decodeInput[In](input)
	if err != nil {
		return nil, err
	}
	in, draft, err := a.prepare(ctx, inv, in)
	if err != nil {
		return nil, err
	}
	params, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode approval params: %w", err)
	}
	draft.Action, draft.Params, draft.WebhookID, draft.RequestedBy = a.spec.Name, params, inv.WebhookID, inv.Requester
	r, err := a.svc.Request(ctx, draft)
	if err != nil {
		return nil, err
	}
	return PendingApproval{Status: "pending_approval", ApprovalID: r.ID, ExpiresAt: r.ExpiresAt,
		ParamsSHA256: r.ParamsSHA256,
		Message: "A human must approve this request before anything is sent. " +
			"Call get_approval_status with approval_id to follow it; do not retry the send."}, nil
}

func (a *gatedAction[In]) Execute(ctx context.Context, r approval.Request) approval.Delivery {
	if got := approval.ParamsHash(r.Params); got != r.ParamsSHA256 {
		return approval.Delivery{AttemptedAt: time.Now().UTC(),
			Error: "stored parameters do not match their approved SHA-256; refusing to run"}
	}
	in, err := decodeInput[In](r.Params)
	if err != nil {
		return approval.Delivery{AttemptedAt: time.Now().UTC(), Error: "decode approved parameters: " + err.Error()}
	}
	return a.run(ctx, r, in)
}

// decodeInput decodes a JSON object into In; a malformed input is a user error.
func decodeInput[In any](input json.RawMessage) (In, error) {
	var in In
	if len(input) == 0 || string(input) == "null" {
		input = json.RawMessage("{}")
	}
	if err := json.Unmarshal(input, &in); err != nil {
		return in, webhook.InvalidPayload("arguments do not match the tool's input schema: %v", err)
	}
	return in, nil
}

// toolFor builds the MCP tool definition with all four annotations set.
func toolFor[In, Out any](s Spec) mcp.Tool {
	t := mcp.NewTool(s.Name,
		mcp.WithDescription(s.Description),
		mcp.WithToolTitle(s.Title),
		mcp.WithInputSchema[In](),
		mcp.WithOutputSchema[Out](),
		mcp.WithToolAnnotation(s.Annotations.tool(s.Title)),
	)
	if len(s.InputOverrides) > 0 {
		t.RawInputSchema = overrideProperties(t.RawInputSchema, s.InputOverrides)
	}
	return t
}

// overrideProperties replaces property schemas in a generated JSON schema.
func overrideProperties(schema json.RawMessage, over map[string]map[string]any) json.RawMessage {
	var doc map[string]any
	if err := json.Unmarshal(schema, &doc); err != nil {
		panic(fmt.Sprintf("generated input schema is not JSON: %v", err))
	}
	props, _ := doc["properties"].(map[string]any)
	for name, s := range over {
		props[name] = s
	}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("encode input schema: %v", err))
	}
	return out
}
