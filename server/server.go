// Package server assembles webhook-mcp: the action registry, the approval
// service, the store, the MCP server with its stdio, Streamable HTTP and SSE
// transports, and the HTTP routes of the webhook receiver.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/live"
	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// DefaultSource and DefaultRoute are registered out of the box.
const (
	DefaultSource = "make.com"
	DefaultRoute  = "chatgpt-clients"
)

// Store is the persistence the server needs.
type Store interface {
	webhook.Inbox
	graph.Store
	approval.Store
	Kind() string
	Path() string
	SchemaVersion(ctx context.Context) (int, error)
	// Health fails while the store cannot commit.
	Health(ctx context.Context) error
	Stats(ctx context.Context) (store.Stats, error)
	// tokenStore keeps page sessions and confirmation states, so that every
	// replica and every restart honours them.
	tokenStore
}

// Deps are the server's collaborators.
type Deps struct {
	Store    Store
	Logger   *slog.Logger     // nil: slog.Default()
	Now      func() time.Time // nil: time.Now
	Resolver webhook.Resolver // outbound DNS; nil: the system resolver
	Version  string
	// Changes, when set, delivers the changes other replicas commit (e.g. a
	// PostgreSQL LISTEN/NOTIFY feed), so that their webhooks and decisions
	// reach the MCP sessions of this one too.
	Changes live.Feed
}

// Route is a registered webhook route.
type Route struct {
	Source string `json:"source"`
	Name   string `json:"route"`
	ID     string `json:"id"`
	Action string `json:"action"`
	Path   string `json:"path"`
}

// Server is the assembled application.
type Server struct {
	cfg        Config
	deps       Deps
	log        *slog.Logger
	started    time.Time
	registry   *tools.Registry
	approvals  *approval.Service
	mcp        *mcpserver.MCPServer
	streamable *mcpserver.StreamableHTTPServer
	sse        *mcpserver.SSEServer

	sources *sources // webhook routes, secrets and API keys

	counters  counters
	drainGate // draining flag and webhooks in flight
	bgCancel  context.CancelFunc
	bgDone    sync.WaitGroup

	live     *liveState     // resource subscriptions and change notifications
	review   *reviewState   // approvals page sessions, notifier
	confirms *confirmStates // requestStates of in-client confirmations
	elicit   *sseElicitor   // elicitation over /sse
	sessions *mcpSessions   // live MCP sessions: cap and idle expiry

	guard      *guard         // rate limits and the wrong-credential throttle
	origins    originPolicy   // ALLOWED_ORIGINS, ALLOWED_HOSTS, PUBLIC_URL
	metrics    *Metrics       // GET /metrics
	ready      atomic.Bool    // set by Start; /readyz
	listenAddr atomic.Value   // string: the address Serve listens on (baseURL)
	oauth      *oauthVerifier // OAUTH_ISSUER; nil: off

	stdioSessions atomic.Int32 // ServeStdio calls running; /api/status lists stdio while > 0
}

// New assembles a server with the built-in actions and the default route.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil {
		return nil, fmt.Errorf("server: a store is required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Version == "" {
		deps.Version = "dev"
	}
	deps.Logger = withRequestIDLogging(deps.Logger)
	tokenFile := ""
	if cfg.ApprovalToken == "" {
		if cfg.DataDir == "" {
			return nil, fmt.Errorf("APPROVAL_TOKEN is unset and DATA_DIR is empty: set one, so a token can be generated")
		}
		tok, created, err := LoadOrCreateApprovalToken(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		cfg.ApprovalToken, tokenFile = tok, ApprovalTokenFile(cfg.DataDir)
		if created {
			deps.Logger.Info("generated APPROVAL_TOKEN (mode 0600; reused on restart)", "file", tokenFile)
		}
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger, started: deps.Now()}
	s.initIngress()
	s.review = newReviewState(cfg, deps.Now, deps.Store, deps.Logger)
	if tokenFile != "" {
		s.review.tokenFile, s.review.signIn = tokenFile, newSignInCode(deps.Now())
	}
	s.sessions = newMCPSessions(cfg, deps.Now, deps.Logger)
	liveSessions := s.sessions.count
	s.metrics.mcpSessions.Store(&liveSessions)
	if cfg.OAuthIssuer != "" {
		s.oauth = newOAuthVerifier(cfg, s.oauthAudience, nil, deps.Now)
	}
	schedule, err := cfg.RetrySchedule()
	if err != nil {
		return nil, err
	}
	s.approvals = approval.NewService(approval.Config{Store: deps.Store, TTL: cfg.ApprovalTTL, Now: deps.Now, Logger: deps.Logger,
		OnPending: s.notifyPending, Schedule: schedule, Lease: cfg.Lease(),
		FourEyes: !cfg.ApprovalSelfApprove, MaxPending: cfg.ApprovalMaxPending,
		OnAttempt: func(outcome string) { s.metrics.DeliveryOutcome(outcome) }, OnChange: s.onApprovalChange})
	s.registry = tools.NewRegistry(tools.Config{Inbox: deps.Store, Approvals: s.approvals, Timeout: cfg.Timeout(),
		Now: deps.Now, Logger: deps.Logger, OnCommitted: s.onCommitted})
	hooks := s.sessions.hooks()
	s.initLive(hooks)
	s.mcp = newMCPServer(deps.Version, hooks, s.liveOptions()...)
	s.addGraphResource()
	s.addLiveResources()
	s.addPrompts()
	s.addMemoryResource()
	if err := s.addAppResources(); err != nil {
		return nil, err
	}
	// checkHost and checkOrigin guard every route, so mcp-go's own loopback
	// check is off: one policy decides.
	s.streamable = mcpserver.NewStreamableHTTPServer(s.mcp, mcpserver.WithEndpointPath("/mcp"),
		mcpserver.WithStreamableHTTPLogger(deps.Logger), mcpserver.WithDisableLocalhostProtection(true),
		mcpserver.WithSessionIdleTTL(cfg.MCPSessionIdleTimeout))
	s.sse = mcpserver.NewSSEServer(s.mcp, mcpserver.WithSSEEndpoint("/sse"), mcpserver.WithMessageEndpoint("/message"),
		mcpserver.WithUseFullURLForMessageEndpoint(false), mcpserver.WithSSEDisableLocalhostProtection(true),
		mcpserver.WithSessionIDGenerator(sseSessionID))
	s.confirms = newConfirmStates(deps.Now, deps.Store)
	s.elicit = newSSEElicitor(s.sse, cfg.MaxBodyBytes)

	sender, err := newSender(cfg, deps, s.signOutbound)
	if err != nil {
		return nil, err
	}
	builtin := tools.Builtin(tools.Deps{Graphs: deps.Store, Inbox: deps.Store, Approvals: s.approvals, Sender: sender,
		Secrets: s.sources.secretsFor, DefaultSource: DefaultSource, DefaultResponseURL: cfg.MakeComWebhookEndpoint, Now: deps.Now,
		SignatureTolerance: cfg.WebhookTolerance, BaseURL: s.baseURL})
	for _, a := range builtin {
		if err := s.RegisterAction(a); err != nil {
			return nil, err
		}
	}
	for _, secret := range cfg.MakeComWebhookSecret {
		if secret = strings.TrimSpace(secret); secret != "" {
			s.RegisterWebhookSecret(DefaultSource, secret)
		}
	}
	if err := s.RegisterWebhookRoute(DefaultSource+"/"+DefaultRoute, "process_webhook_data"); err != nil {
		return nil, err
	}
	return s, nil
}

// newSender builds the outbound sender with the SSRF guard from cfg.
func newSender(cfg Config, deps Deps, sign webhook.Signer) (*webhook.Sender, error) {
	guard, err := webhook.NewGuard(webhook.GuardConfig{AllowHosts: cfg.OutboundAllowHosts,
		AllowPrivate: cfg.OutboundAllowPrivate, Resolver: deps.Resolver})
	if err != nil {
		return nil, err
	}
	var proxy *url.URL
	if cfg.OutboundProxy != "" {
		if proxy, err = url.Parse(cfg.OutboundProxy); err != nil || proxy.Host == "" {
			return nil, fmt.Errorf("OUTBOUND_PROXY=%q: want a proxy URL such as http://proxy:3128", cfg.OutboundProxy)
		}
	}
	return webhook.NewSender(webhook.SenderConfig{Timeout: cfg.Timeout(), UserAgent: "webhook-mcp/" + deps.Version,
		Guard: guard, Proxy: proxy, Now: deps.Now, Sign: sign}), nil
}

// signOutbound signs a delivery the Standard Webhooks way with the first secret
// registered for the default source (the current one when rotating); without a
// secret deliveries go unsigned.
func (s *Server) signOutbound(id string, ts time.Time, body []byte) string {
	secrets := s.sources.secretsFor(DefaultSource)
	if len(secrets) == 0 {
		return ""
	}
	key, err := webhook.DecodeSecret(string(secrets[0]))
	if err != nil {
		s.log.Error("outbound signing secret is unusable; sending unsigned", "err", err)
		return ""
	}
	return webhook.SignStandard(key, id, ts, body)
}

// RegisterAction adds an action to the registry and, as a tool, to the MCP server.
func (s *Server) RegisterAction(a tools.Action) error {
	if err := s.registry.Register(a); err != nil {
		return err
	}
	s.mcp.AddTool(a.Tool(), s.countToolCalls(a.Spec().Name, s.toolHandler(a.Spec().Name)))
	return nil
}

// RegisterWebhookSecret adds a secret for a source; several secrets may be
// registered at once (key rotation), and any of them verifies.
func (s *Server) RegisterWebhookSecret(source, secret string) { s.sources.addSecret(source, secret) }

// RegisterWebhookRoute maps POST /api/webhook/<source>/<route> to an action.
// path is "<source>/<route>", e.g. "make.com/chatgpt-clients"; the route's id
// (its "source" in results and the inbox) is "make.com_chatgpt_clients".
func (s *Server) RegisterWebhookRoute(path, action string) error {
	source, name, ok := strings.Cut(strings.Trim(path, "/"), "/")
	if !ok || source == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("register route %q: want <source>/<route>", path)
	}
	if _, ok := s.registry.Lookup(action); !ok {
		return fmt.Errorf("register route %q: %w: %s", path, tools.ErrUnknownAction, action)
	}
	id := strings.ReplaceAll(source+"_"+name, "-", "_")
	s.sources.addRoute(Route{Source: source, Name: name, ID: id, Action: action,
		Path: "/api/webhook/" + source + "/" + name})
	return nil
}
