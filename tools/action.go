// Package tools is the action registry: every action (MCP tool or webhook route
// target) is defined once here, and Registry.Call is the single entry point used by
// MCP and HTTP alike. It assigns the webhook id, applies the timeout, logs,
// records the call in the inbox, and routes approval-gated actions through the
// approval service.
package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
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
// which call id.
type Invocation struct {
	// CallID names the call in the inbox and the logs; for a webhook it is the
	// webhook_id its sender sees.
	CallID     string
	Kind       string // webhook.KindWebhook or webhook.KindTool
	Source     string // webhook source route id (e.g. make.com_chatgpt_clients) or "mcp"
	Route      string // route path for webhooks, tool name for tool calls
	Requester  string // actor: "<principal> (mcp-client:<name>)" or "webhook:<source>" (see approval.Actor)
	ReceivedAt time.Time
	// Payload is a webhook body the route has already decoded (numbers as
	// json.Number): actions fed by a route use it instead of decoding again.
	Payload map[string]any
}

// PayloadAs decodes the webhook body a route handed to the call into T, for
// actions that prefer a struct to inv.Payload's map. It is a user error when
// the body does not fit T.
func PayloadAs[T any](inv Invocation) (T, error) {
	var v T
	b, err := json.Marshal(inv.Payload)
	if err != nil {
		return v, fmt.Errorf("encode payload: %w", err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, webhook.InvalidPayload("the webhook body does not have the fields this route expects")
	}
	return v, nil
}

// Result is what an action returns: its output and the effects it asks the
// registry to commit with the call's record.
type Result struct {
	Output  any
	Effects Effects
}

// Effects are the changes a call asks for besides its output. The registry
// applies them, never the action: a graph is merged in the same write that
// records the call; an approval request is created after the call is recorded
// in flight and before it completes.
type Effects struct {
	Graph    *graph.KnowledgeGraph
	Approval *approval.Draft
}

// Action is one registered action.
type Action interface {
	// Spec returns the action's name, description and annotations.
	Spec() Spec
	// Tool returns the MCP tool definition with input and output schemas.
	Tool() mcp.Tool
	// RequiresApproval reports whether Run only happens after a human approved.
	RequiresApproval() bool
	// Call runs the action (for gated actions: validates and drafts the
	// approval request, which the registry creates).
	Call(ctx context.Context, inv Invocation, input json.RawMessage) (Result, error)
}

// Gated is an action whose effect runs only after approval.
type Gated interface {
	Action
	// Execute runs the approved parameters exactly as stored.
	Execute(ctx context.Context, r approval.Request) approval.Delivery
}

// Define returns an action without effects that decodes its input into In and
// runs run.
func Define[In, Out any](spec Spec, run func(ctx context.Context, inv Invocation, in In) (Out, error)) Action {
	return &typedAction[In, Out]{spec: spec, run: func(ctx context.Context, inv Invocation, in In) (Out, Effects, error) {
		out, err := run(ctx, inv, in)
		return out, Effects{}, err
	}}
}

// DefineWithEffects returns an action whose run also returns the effects the
// registry commits with the call (a graph to merge).
func DefineWithEffects[In, Out any](spec Spec, run func(ctx context.Context, inv Invocation, in In) (Out, Effects, error)) Action {
	return &typedAction[In, Out]{spec: spec, run: run}
}

type typedAction[In, Out any] struct {
	spec Spec
	run  func(ctx context.Context, inv Invocation, in In) (Out, Effects, error)
}

func (a *typedAction[In, Out]) Spec() Spec             { return a.spec }
func (a *typedAction[In, Out]) RequiresApproval() bool { return false }
func (a *typedAction[In, Out]) Tool() mcp.Tool         { return toolFor[In, Out](a.spec) }

func (a *typedAction[In, Out]) Call(ctx context.Context, inv Invocation, input json.RawMessage) (Result, error) {
	in, err := decodeInput[In](input)
	if err != nil {
		return Result{}, err
	}
	out, eff, err := a.run(ctx, inv, in)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: out, Effects: eff}, nil
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
// normalises the input and describes the request (the registry creates it);
// run executes the approved input.
func DefineGated[In any](spec Spec,
	prepare func(ctx context.Context, inv Invocation, in In) (In, approval.Draft, error),
	run func(ctx context.Context, r approval.Request, in In) approval.Delivery,
) Gated {
	return &gatedAction[In]{spec: spec, prepare: prepare, run: run}
}

type gatedAction[In any] struct {
	spec    Spec
	prepare func(ctx context.Context, inv Invocation, in In) (In, approval.Draft, error)
	run     func(ctx context.Context, r approval.Request, in In) approval.Delivery
}

func (a *gatedAction[In]) Spec() Spec             { return a.spec }
func (a *gatedAction[In]) RequiresApproval() bool { return true }
func (a *gatedAction[In]) Tool() mcp.Tool         { return toolFor[In, PendingApproval](a.spec) }

func (a *gatedAction[In]) Call(ctx context.Context, inv Invocation, input json.RawMessage) (Result, error) {
	in, err := decodeInput[In](input)
	if err != nil {
		return Result{}, err
	}
	in, draft, err := a.prepare(ctx, inv, in)
	if err != nil {
		return Result{}, err
	}
	params, err := json.Marshal(in)
	if err != nil {
		return Result{}, fmt.Errorf("encode approval params: %w", err)
	}
	draft.Action, draft.Params, draft.WebhookID, draft.RequestedBy = a.spec.Name, params, inv.CallID, inv.Requester
	return Result{Effects: Effects{Approval: &draft}}, nil
}

// pendingApprovalOf is the output of a gated call once its request exists.
func pendingApprovalOf(r approval.Request) PendingApproval {
	return PendingApproval{Status: "pending_approval", ApprovalID: r.ID, ExpiresAt: r.ExpiresAt,
		ParamsSHA256: r.ParamsSHA256,
		Message: "A human must approve this request before anything is sent. " +
			"Call get_approval_status with approval_id to follow it; do not retry the send."}
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

// decodeInput decodes a JSON object into In, numbers inside free-form values
// as json.Number (exact), refusing arguments the schema does not name; a
// malformed input is a user error.
func decodeInput[In any](input json.RawMessage) (In, error) {
	var in In
	if len(input) == 0 || string(input) == "null" {
		input = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(input))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return in, webhook.InvalidArgument(strings.Trim(name, `"`), "unknown argument %s: the tool's input schema does not name it", name)
		}
		return in, inputError(err)
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
