package tools

import (
	"errors"

	"github.com/mark3labs/mcp-go/mcp"
)

// ErrNoAnnotations means an action's Spec was registered without annotations.
var ErrNoAnnotations = errors.New("action spec has no annotations: build them with ReadOnlyLocal, WriteLocalIdempotent or OutboundGated")

// Annotations are an action's four MCP tool hints: read-only, destructive,
// idempotent, open world. They can only be built by the constructors below, one
// per kind of action, so each action says all four on purpose (mcp-go's
// defaults, destructive and open world, are wrong for most of them), and
// Registry.Register refuses a Spec whose Annotations were never set.
type Annotations struct {
	readOnly, destructive, idempotent, openWorld bool
	set                                          bool
}

// ReadOnlyLocal is the kind of an action that only reads this server's own
// data: read-only, not destructive, idempotent, closed world.
func ReadOnlyLocal() Annotations {
	return Annotations{readOnly: true, idempotent: true, set: true}
}

// WriteLocalIdempotent is the kind of an action that records into this
// server's own store (the inbox, a merge into the knowledge graph) and comes to
// the same state when repeated: not read-only, not destructive, idempotent,
// closed world.
func WriteLocalIdempotent() Annotations {
	return Annotations{idempotent: true, set: true}
}

// OutboundGated is the kind of an action that reaches outside this server (an
// HTTP POST to another system) only after a human approved it: not read-only,
// not destructive (it sends, it deletes nothing), not idempotent (every call is
// a new request), open world.
func OutboundGated() Annotations {
	return Annotations{openWorld: true, set: true}
}

// ReadOnly reports whether the action only reads.
func (a Annotations) ReadOnly() bool { return a.readOnly }

// Destructive reports whether the action may delete or overwrite.
func (a Annotations) Destructive() bool { return a.destructive }

// Idempotent reports whether repeating a call changes nothing more.
func (a Annotations) Idempotent() bool { return a.idempotent }

// OpenWorld reports whether the action reaches outside this server.
func (a Annotations) OpenWorld() bool { return a.openWorld }

// tool returns the annotations as mcp-go's, every hint set explicitly.
func (a Annotations) tool(title string) mcp.ToolAnnotation {
	return mcp.ToolAnnotation{
		Title:           title,
		ReadOnlyHint:    mcp.ToBoolPtr(a.readOnly),
		DestructiveHint: mcp.ToBoolPtr(a.destructive),
		IdempotentHint:  mcp.ToBoolPtr(a.idempotent),
		OpenWorldHint:   mcp.ToBoolPtr(a.openWorld),
	}
}
