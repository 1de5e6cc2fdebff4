package tools

import (
	"net/url"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// Kinds of record that search finds and fetch returns. A record id is
// "<kind>:<key>", its parts escaped so that no part holds a colon:
// client:<client_id>, task:<client_id>:<task_id>, person:<client_id>:<id>,
// event:<webhook_id>, approval:<approval_id>. Ids are stable: the same record
// has the same id in every search.
const (
	recordClient   = "client"
	recordTask     = "task"
	recordPerson   = "person"
	recordEvent    = "event"
	recordApproval = "approval"
)

// recordID joins a kind and its parts into a record id.
func recordID(kind string, parts ...string) string {
	var b strings.Builder
	b.WriteString(kind)
	for _, p := range parts {
		b.WriteByte(':')
		b.WriteString(escapeIDPart(p))
	}
	return b.String()
}

// escapeIDPart escapes a part of a record id: URL path escaping plus the colon.
func escapeIDPart(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// recordRef is a parsed record id.
type recordRef struct {
	kind     string
	clientID string // client, task, person
	key      string // the task's or person's id, the webhook id, the approval id
}

// parseRecordID reads an id made by recordID; anything else is a user error.
func parseRecordID(id string) (recordRef, error) {
	bad := webhook.InvalidArgument("id", "id %q is not one search returns: want client:<client_id>, "+
		"task:<client_id>:<task_id>, person:<client_id>:<id>, event:<webhook_id> or approval:<id>", id)
	parts := strings.Split(id, ":")
	for i := 1; i < len(parts); i++ {
		p, err := url.PathUnescape(parts[i])
		if err != nil || p == "" {
			return recordRef{}, bad
		}
		parts[i] = p
	}
	switch {
	case len(parts) == 2 && parts[0] == recordClient:
		return recordRef{kind: recordClient, clientID: parts[1]}, nil
	case len(parts) == 3 && (parts[0] == recordTask || parts[0] == recordPerson):
		return recordRef{kind: parts[0], clientID: parts[1], key: parts[2]}, nil
	case len(parts) == 2 && (parts[0] == recordEvent || parts[0] == recordApproval):
		return recordRef{kind: parts[0], key: parts[1]}, nil
	}
	return recordRef{}, bad
}

// nodeRecordID is the record id of a graph node of a client, and whether the
// node is of a kind search returns.
func nodeRecordID(clientID, nodeID string) (string, bool) {
	kind, key, ok := strings.Cut(nodeID, ":")
	switch {
	case !ok:
		return "", false
	case kind == recordClient:
		return recordID(recordClient, clientID), true
	case kind == recordTask || kind == recordPerson:
		return recordID(kind, clientID, key), true
	}
	return "", false
}

// recordURL is where a person finds a record on this server: the client's
// graph (a node by its fragment), the inbox entry, or the reviewer's page of
// an approval. base is PUBLIC_URL or the listen address.
func recordURL(base string, r recordRef) string {
	base = strings.TrimRight(base, "/")
	graphURL := base + "/api/clients/" + url.PathEscape(r.clientID) + "/graph"
	switch r.kind {
	case recordClient:
		return graphURL
	case recordTask, recordPerson:
		return graphURL + "#" + url.PathEscape(r.kind+":"+r.key)
	case recordEvent:
		return base + "/api/events/" + url.PathEscape(r.key)
	default:
		return base + "/approvals/" + url.PathEscape(r.key)
	}
}
