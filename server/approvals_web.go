package server

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

//go:embed web
var webFS embed.FS

// decidedStates are the states shown in the history view.
var decidedStates = []approval.State{approval.StateApproved, approval.StateDelivering, approval.StateDelivered,
	approval.StateFailed, approval.StateRejected, approval.StateExpired}

func parsePages() *template.Template {
	return template.Must(template.New("pages").ParseFS(webFS, "web/*.html"))
}

// webStatic serves the embedded stylesheet.
func webStatic() http.Handler {
	sub, err := fs.Sub(webFS, "web/static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.StripPrefix("/approvals/static/", http.FileServerFS(sub))
}

// pageHeaders forbid framing, off-site resources and caching on every page.
// The referrer policy is same-origin, not no-referrer: under no-referrer a
// browser sends "Origin: null" with the page's own forms, which checkOrigin
// would refuse; nothing leaks to other sites either way.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'; default-src 'self'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// pageHandler is a page that needs a signed-in reviewer.
type pageHandler func(w http.ResponseWriter, r *http.Request, sess *webSession)

// reviewerPage demands a signed-in session: a GET without one goes to the
// login page, anything else is 401. No peer address is trusted.
func (s *Server) reviewerPage(next pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pageHeaders(w)
		sess, ok := s.review.session(r)
		if !ok || !sess.authed {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/approvals/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		next(w, r, sess)
	}
}

// newSessionOr503 starts a session and sets its cookie; when the store cannot
// keep it, it answers 503 and ok is false.
func (s *Server) newSessionOr503(w http.ResponseWriter, r *http.Request, authed bool) (*webSession, bool) {
	sess, err := s.review.newSession(r.Context(), authed)
	if err != nil {
		s.log.ErrorContext(r.Context(), "approvals page: start session", "err", err)
		w.Header().Set("Retry-After", "5")
		http.Error(w, "the store cannot keep a session now: try again shortly", http.StatusServiceUnavailable)
		return nil, false
	}
	s.review.setCookie(w, r, sess)
	return sess, true
}

// handleLoginPage shows the sign-in form (with its own CSRF token). With
// ?code= from the one-time link printed at start, it signs in directly.
func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	sess, ok := s.review.session(r)
	if ok && sess.authed {
		http.Redirect(w, r, "/approvals", http.StatusSeeOther)
		return
	}
	if code := r.URL.Query().Get("code"); code != "" {
		if blocked, wait := s.guard.authThrottled(r); blocked {
			s.renderLoginThrottled(w, wait)
			return
		}
		if s.review.signIn.redeem(code, s.deps.Now()) {
			s.log.InfoContext(r.Context(), "approvals page: signed in with the one-time link", "client_ip", s.guard.clientIP(r))
			s.startReviewerSession(w, r, sess)
			return
		}
		s.guard.authFailed(r, "sign-in link")
	}
	if !ok {
		if sess, ok = s.newSessionOr503(w, r, false); !ok {
			return
		}
	}
	data := map[string]any{"Title": "Sign in", "Login": true, "CSRF": sess.csrf}
	if r.URL.Query().Get("code") != "" {
		data["Error"] = "That sign-in link was already used or has expired. Sign in with the token" + s.tokenHint() + "."
	}
	s.render(w, http.StatusOK, "login.html", data)
}

// handleLogin checks APPROVAL_TOKEN and starts a new signed-in session.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	sess, ok := s.review.session(r)
	if !ok || !csrfOK(sess, r) {
		http.Error(w, "the form expired: reload the sign-in page", http.StatusForbidden)
		return
	}
	if blocked, wait := s.guard.authThrottled(r); blocked {
		s.renderLoginThrottled(w, wait)
		return
	}
	token := r.PostFormValue("token")
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.ApprovalToken)) != 1 {
		s.guard.authFailed(r, "sign-in token")
		s.render(w, http.StatusUnauthorized, "login.html", map[string]any{"Title": "Sign in", "Login": true, "CSRF": sess.csrf,
			"Error": "That token is not APPROVAL_TOKEN" + s.tokenHint() + "."})
		return
	}
	s.startReviewerSession(w, r, sess)
}

// startReviewerSession replaces old (if any) by a new signed-in session and
// goes to the pending list.
func (s *Server) startReviewerSession(w http.ResponseWriter, r *http.Request, old *webSession) {
	if old != nil {
		s.review.endSession(r.Context(), old.id)
	}
	if _, ok := s.newSessionOr503(w, r, true); !ok {
		return
	}
	http.Redirect(w, r, "/approvals", http.StatusSeeOther)
}

// renderLoginThrottled answers a client IP with too many failed sign-ins.
func (s *Server) renderLoginThrottled(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", retryAfter(wait))
	s.render(w, http.StatusTooManyRequests, "login.html", map[string]any{"Title": "Sign in", "Login": true,
		"Error": "Too many failed sign-ins from this address (rate_limited): try again in " + retryAfter(wait) + " s."})
}

// tokenHint says where the token is when it was generated into DATA_DIR.
func (s *Server) tokenHint() string {
	if s.review.tokenFile == "" {
		return ""
	}
	return " (on the server: DATA_DIR/" + ApprovalTokenFileName + ")"
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, sess *webSession) {
	if !csrfOK(sess, r) {
		http.Error(w, "missing or wrong CSRF token", http.StatusForbidden)
		return
	}
	s.review.endSession(r.Context(), sess.id)
	s.review.clearCookie(w, r)
	http.Redirect(w, r, "/approvals/login", http.StatusSeeOther)
}

// approvalRow is one request as the pages show it.
type approvalRow struct {
	approval.Request
	Requester string
	Age       string
	TimeLeft  string
	Payload   string
	Outcome   string
}

func (s *Server) row(a approval.Request) approvalRow {
	now := s.deps.Now()
	row := approvalRow{Request: a, Requester: a.RequestedBy, Age: humanDuration(now.Sub(a.CreatedAt)) + " ago"}
	if left := a.ExpiresAt.Sub(now); left > 0 {
		row.TimeLeft = humanDuration(left)
	} else {
		row.TimeLeft = "expired"
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, a.Params, "", "  ") == nil {
		row.Payload = pretty.String()
	} else {
		row.Payload = string(a.Params)
	}
	switch d := a.Delivery; {
	case d == nil && a.State == approval.StateRejected, d == nil && a.State == approval.StateExpired:
		row.Outcome = "not sent"
	case d == nil:
		row.Outcome = "not yet sent"
	case d.Error != "":
		row.Outcome = fmt.Sprintf("failed after %d attempt(s): %s", d.Attempts, d.Error)
	default:
		row.Outcome = fmt.Sprintf("delivered: HTTP %d", d.StatusCode)
	}
	return row
}

// humanDuration renders d coarsely: 45s, 12m, 3h 5m, 2d 4h.
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

// pageSize is how many requests one list page shows.
const pageSize = 50

// listPage shows one page of the requests in states, newest first, with a
// link to the next (older) page: however many requests a flood adds, every
// one of them can be reached.
func (s *Server) listPage(states []approval.State, tmpl, title string) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *webSession) {
		f := approval.Filter{States: states, Limit: pageSize}
		cursor := r.URL.Query().Get("cursor")
		if cursor != "" {
			c, err := approval.ParseCursor(cursor)
			if err != nil {
				http.Error(w, "this page link is not valid; start from the first page", http.StatusBadRequest)
				return
			}
			f.After = &c
		}
		reqs, next, err := s.approvals.ListPage(r.Context(), f)
		if err != nil {
			s.log.Error("approvals page: list", "err", err)
			http.Error(w, "could not read approvals; see the server log", http.StatusInternalServerError)
			return
		}
		rows := make([]approvalRow, 0, len(reqs))
		for _, a := range reqs {
			rows = append(rows, s.row(a))
		}
		data := map[string]any{"Title": title, "Rows": rows, "CSRF": sess.csrf, "Paged": cursor != "",
			"Path": r.URL.Path}
		if next != nil {
			data["Next"] = next.String()
		}
		s.render(w, http.StatusOK, tmpl, data)
	}
}

func (s *Server) handleDetailPage(w http.ResponseWriter, r *http.Request, sess *webSession) {
	s.renderDetail(w, r, sess, http.StatusOK, r.URL.Query().Get("done"), "")
}

func (s *Server) renderDetail(w http.ResponseWriter, r *http.Request, sess *webSession, status int, notice, errMsg string) {
	a, evs, err := s.approvals.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, approval.ErrNotFound) {
		http.Error(w, "no approval request has this id", http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.Error("approvals page: get", "approval_id", r.PathValue("id"), "err", err)
		http.Error(w, "could not read the approval; see the server log", http.StatusInternalServerError)
		return
	}
	switch notice {
	case "approved", "rejected":
	default:
		notice = ""
	}
	s.render(w, status, "detail.html", map[string]any{"Title": "Approval " + a.ID, "Row": s.row(a), "Events": evs,
		"Pending": a.State == approval.StatePending, "CSRF": sess.csrf, "Notice": notice, "Error": errMsg})
}

// handleDecidePage is the Approve/Reject form: CSRF-checked, decided by the
// reviewer's principal labelled "web".
func (s *Server) handleDecidePage(approve bool) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *webSession) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if !csrfOK(sess, r) {
			s.log.Warn("approvals page: decision without a valid CSRF token", "approval_id", r.PathValue("id"),
				"remote", r.RemoteAddr)
			http.Error(w, "missing or wrong CSRF token: reload the page and try again", http.StatusForbidden)
			return
		}
		id, reason := r.PathValue("id"), r.PostFormValue("reason")
		var err error
		verb := "rejected"
		actor := s.reviewerPrincipal().Actor("web")
		if approve {
			verb = "approved"
			_, err = s.approvals.Approve(r.Context(), id, actor, reason)
		} else {
			_, err = s.approvals.Reject(r.Context(), id, actor, reason)
		}
		var ce *approval.ConflictError
		switch {
		case errors.As(err, &ce):
			s.renderDetail(w, r, sess, http.StatusConflict, "",
				fmt.Sprintf("Not %s: this request is already %s.", verb, ce.Current))
		case errors.Is(err, approval.ErrSelfDecision):
			s.renderDetail(w, r, sess, http.StatusForbidden, "",
				fmt.Sprintf("Not %s: four-eyes review is on (APPROVAL_SELF_APPROVE=false) and this request was "+
					"asked for with the same credential you signed in with; another reviewer must decide it.", verb))
		case err != nil:
			s.renderDetail(w, r, sess, http.StatusNotFound, "", "")
		default:
			http.Redirect(w, r, "/approvals/"+id+"?done="+verb, http.StatusSeeOther)
		}
	}
}

func (s *Server) render(w http.ResponseWriter, status int, name string, data map[string]any) {
	var buf bytes.Buffer
	if err := s.review.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render approvals page", "page", name, "err", err)
		http.Error(w, "could not render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
