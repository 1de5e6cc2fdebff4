package approval

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Actors. RequestedBy, DecidedBy and Event.Actor name who did something as
// "<principal>" or "<principal> (<label>)": the principal is the identity the
// server authenticated (a credential, the local user, a webhook source) and
// is what the rules compare; the label is what that principal said about
// itself (an MCP client's name, a CLI user) and is only shown to people.
//
//	token:mcp (mcp-client:Claude)   a holder of MCP_AUTH_TOKEN, using Claude
//	token:approval (cli:alice)      a holder of APPROVAL_TOKEN, using the CLI
//	local (mcp-client:Claude)       the user of a stdio client
//	anonymous (mcp-client:x)        an MCP caller without a credential
//	webhook:make.com                a signed webhook source
//	system:expiry                   the server itself

// labelSep separates an actor's principal from its label.
const labelSep = " ("

// Actor returns the actor string of principal with an optional label. Control
// characters and parentheses in the label are dropped and it is cut to 100
// bytes, so that a label can neither forge a principal nor break a log line.
func Actor(principal, label string) string {
	label = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '(' || r == ')' {
			return -1
		}
		return r
	}, strings.TrimSpace(label))
	if len(label) > 100 {
		label = strings.ToValidUTF8(label[:100], "")
	}
	if label == "" {
		return principal
	}
	return principal + labelSep + label + ")"
}

// PrincipalOf returns the principal an actor string names.
func PrincipalOf(actor string) string {
	p, _, _ := strings.Cut(actor, labelSep)
	return p
}

// Errors of the rules on who may ask and decide; match with errors.Is.
var (
	// ErrSelfDecision means four-eyes review is on and the principal deciding
	// is the one that asked.
	ErrSelfDecision = errors.New("the principal that requested an approval may not decide it")
	// ErrTooManyPending means the requester already has its maximum of pending
	// requests.
	ErrTooManyPending = errors.New("too many pending approval requests")
)

// Cursor is a position in the newest-first order of requests (created_at,
// then id, both descending). Its String form is opaque to clients.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// String encodes the cursor for a URL.
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreatedAt.UnixNano(), 10) + "." + c.ID))
}

// ParseCursor decodes a cursor from its String form.
func ParseCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, fmt.Errorf("cursor is not valid: %w", err)
	}
	ns, id, ok := strings.Cut(string(raw), ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || id == "" {
		return Cursor{}, errors.New("cursor is not valid")
	}
	return Cursor{CreatedAt: time.Unix(0, n).UTC(), ID: id}, nil
}

// CursorOf is the position of r.
func CursorOf(r Request) Cursor { return Cursor{CreatedAt: r.CreatedAt, ID: r.ID} }
