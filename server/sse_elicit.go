package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/webhook-mcp/webhook-mcp/api"
)

// Elicitation over the HTTP+SSE transport (/sse, /message).
//
// mcp-go v1.2.1's SSE session does not implement SessionWithElicitation, and
// its /message handler has no way to hand a client's response to a request
// the server sent: so on 2025-11-25 over /sse (where the server must send
// elicitation/create itself) the question was never asked. This file does what
// the transport lacks: it sends elicitation/create on the session's event
// stream (SSEServer.SendEventToSession) and takes the client's response off
// /message before mcp-go sees it, matched by session, request id and the
// principal that made the tool call. Clients on 2026-07-28 over /sse need none
// of it: they get input_required and retry, as on /mcp.

// sseElicitIDPrefix starts the ids of the requests this server sends; the
// session's own counter (pings) uses numbers, so they cannot collide.
const sseElicitIDPrefix = "webhook-mcp-elicit-"

// sseWait is one question waiting for its answer.
type sseWait struct {
	principal string
	answer    chan sseAnswer
}

// sseAnswer is a client's JSON-RPC response to elicitation/create.
type sseAnswer struct {
	Result *mcp.ElicitationResult `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// sseElicitor sends questions to SSE sessions and routes their answers.
type sseElicitor struct {
	sse     *mcpserver.SSEServer
	maxBody int64

	mu      sync.Mutex
	seq     uint64
	waiting map[string]sseWait // sessionID + "\x00" + request id
}

func newSSEElicitor(sse *mcpserver.SSEServer, maxBody int64) *sseElicitor {
	return &sseElicitor{sse: sse, maxBody: maxBody, waiting: map[string]sseWait{}}
}

type sseTransportKey struct{}

// onSSE reports whether the request came in on /message.
func onSSE(ctx context.Context) bool { v, _ := ctx.Value(sseTransportKey{}).(bool); return v }

// ask sends params to the SSE session as elicitation/create and waits for the
// answer of the same principal, at most confirmStateTTL.
func (e *sseElicitor) ask(ctx context.Context, sessionID, principal string, params mcp.ElicitationParams) (*mcp.ElicitationResult, error) {
	e.mu.Lock()
	e.seq++
	id := sseElicitIDPrefix + strconv.FormatUint(e.seq, 10)
	key := sessionID + "\x00" + id
	w := sseWait{principal: principal, answer: make(chan sseAnswer, 1)}
	e.waiting[key] = w
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.waiting, key)
		e.mu.Unlock()
	}()
	req := mcp.JSONRPCRequest{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(id),
		Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)}, Params: params}
	if err := e.sse.SendEventToSession(sessionID, req); err != nil {
		return nil, fmt.Errorf("send elicitation to SSE session: %w", err)
	}
	timer := time.NewTimer(confirmStateTTL)
	defer timer.Stop()
	select {
	case a := <-w.answer:
		if a.Error != nil {
			return nil, fmt.Errorf("client refused the elicitation: %d %s", a.Error.Code, a.Error.Message)
		}
		if a.Result == nil {
			return nil, errors.New("client answered the elicitation without a result")
		}
		return a.Result, nil
	case <-timer.C:
		return nil, errors.New("no answer to the elicitation in time")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// deliver hands body to the question it answers. handled is false when body
// is not an answer to a question of this server in this session; forbidden is
// true when it is, but from another principal.
func (e *sseElicitor) deliver(sessionID, principal string, body []byte) (handled, forbidden bool) {
	var msg struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal(body, &msg) != nil || msg.Method != "" || len(msg.ID) == 0 {
		return false, false
	}
	var id string
	if json.Unmarshal(msg.ID, &id) != nil || len(id) <= len(sseElicitIDPrefix) || id[:len(sseElicitIDPrefix)] != sseElicitIDPrefix {
		return false, false
	}
	e.mu.Lock()
	w, ok := e.waiting[sessionID+"\x00"+id]
	e.mu.Unlock()
	if !ok {
		return false, false
	}
	if w.principal != principal {
		return true, true
	}
	var a sseAnswer
	if json.Unmarshal(body, &a) != nil {
		a = sseAnswer{}
	}
	select {
	case w.answer <- a:
	default: // answered already; a second answer changes nothing
	}
	return true, false
}

// sseMessages wraps the /message handler: answers to this server's questions
// are taken here; every other message goes on to mcp-go, marked as SSE.
func (s *Server) sseMessages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sid := r.URL.Query().Get("sessionId")
		if r.Method != http.MethodPost || sid == "" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.elicit.maxBody))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			writeError(w, "", api.CodePayloadTooLarge, "message body is larger than MAX_BODY_BYTES")
			return
		case err != nil:
			writeError(w, "", api.CodeInvalidPayload, "could not read the message body")
			return
		}
		handled, forbidden := s.elicit.deliver(sid, PrincipalFrom(r.Context()).ID, body)
		switch {
		case forbidden:
			s.log.WarnContext(r.Context(), "elicitation answer from another principal refused",
				"principal", PrincipalFrom(r.Context()).ID)
			writeError(w, "", api.CodeForbidden, "this answer belongs to a question asked of another principal")
			return
		case handled:
			w.WriteHeader(http.StatusAccepted)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sseTransportKey{}, true)))
	})
}
